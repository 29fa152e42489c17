using Loom.Cluster.Hosting;
using Microsoft.Extensions.Configuration;

namespace Loom.Cluster.Tests;

public sealed class NodeSettingsTests
{
    private static NodeOptions Load(params (string Key, string Value)[] settings) =>
        NodeConfiguration.Load(new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>("Loom:Node:" + s.Key, s.Value)))
            .Build());

    private static string Problem(params (string Key, string Value)[] settings) =>
        Assert.Throws<NodeSettingsException>(() => Load(settings)).Message;

    [Fact]
    public void Lists_are_read_as_arrays_or_comma_separated_and_replace_the_default()
    {
        var options = Load(("Labels:0", "linux"), ("Labels:1", "gpu"), ("Capacity", "3"), ("DrainTimeout", "90s"));
        Assert.Equal(["linux", "gpu"], options.Labels);
        Assert.Equal(3, options.Capacity);
        Assert.Equal(TimeSpan.FromSeconds(90), options.DrainTimeout);
        Assert.Equal(["linux", "gpu"], Load(("Labels", "linux, gpu")).Labels);
        Assert.Equal(["*"], Load().Labels);
        Assert.Equal(["loom-node", "loom-capacity-3", "loom-label-linux", "loom-label-gpu"], NodeRoles.Of(options));
    }

    [Fact]
    public void Every_node_serves_its_web_view_on_a_free_port_unless_told_a_port_or_off()
    {
        Assert.Equal(0, Load().UiPort);
        Assert.Equal(8080, Load(("UiPort", "8080")).UiPort);
        Assert.Null(Load(("UiPort", "off")).UiPort);
    }

    [Fact]
    public void The_health_endpoints_are_off_unless_given_a_port()
    {
        Assert.Null(Load().HealthPort);
        Assert.Null(Load(("HealthPort", "off")).HealthPort);
        Assert.Equal(0, Load(("HealthPort", "0")).HealthPort);
        var options = Load(("HealthPort", "8080"), ("HealthHost", "127.0.0.1"));
        Assert.Equal(8080, options.HealthPort);
        Assert.Equal("127.0.0.1", options.HealthHost);
        Assert.Null(Load(("HealthPort", "8080")).HealthHost);
    }

    [Theory]
    [InlineData("Capacity", "0", "--capacity (Loom:Node:Capacity) must be from 1 to 1024, not 0")]
    [InlineData("Capacity", "many", "Loom:Node:Capacity must be a whole number, not 'many'")]
    [InlineData("Port", "70000", "--port (Loom:Node:Port) must be from 0 to 65535, not 70000")]
    [InlineData("Seeds", "db.example", "--seed (Loom:Node:Seeds) must be HOST:PORT with a port from 1 to 65535, not 'db.example'")]
    [InlineData("Seeds", "host:0", "--seed (Loom:Node:Seeds) must be HOST:PORT with a port from 1 to 65535, not 'host:0'")]
    [InlineData("Labels", "gpu;linux", "--labels (Loom:Node:Labels): 'gpu;linux' is not a label (letters, digits, '.', '_', '-'; or * for every label)")]
    [InlineData("DrainTimeout", "soon", "Loom:Node:DrainTimeout must be a duration such as 90s, 5m or 00:01:30, not 'soon'")]
    [InlineData("Discovery", "dns", "--discovery (Loom:Node:Discovery) must be 'kubernetes' (or left out to use --seed), not 'dns'")]
    [InlineData("Capcity", "4", "Loom:Node:Capcity is not a setting of a node")]
    [InlineData("HealthPort", "70000", "--health-port (Loom:Node:HealthPort) must be from 0 to 65535, or off, not 70000")]
    [InlineData("HealthPort", "soon", "Loom:Node:HealthPort must be a whole number, not 'soon'")]
    [InlineData("HealthPort", "4053", "--health-port 4053 is also the remoting --port: each listener needs a port of its own")]
    public void A_bad_setting_is_one_line_naming_it(string key, string value, string message)
    {
        var problem = Problem((key, value));
        Assert.StartsWith(message, problem);
        Assert.DoesNotContain('\n', problem);
    }

    [Fact]
    public void The_health_host_needs_the_health_port_and_the_ports_are_kept_apart()
    {
        Assert.Equal("--health-host (Loom:Node:HealthHost) must be an IP address or localhost, not 'pod.example'",
            Problem(("HealthPort", "8080"), ("HealthHost", "pod.example")));
        Assert.Equal("--health-port 8080 is also the web view's --ui-port: each listener needs a port of its own",
            Problem(("HealthPort", "8080"), ("UiPort", "8080")));
        Assert.Equal("--health-host (Loom:Node:HealthHost) is where the health endpoints listen, and they are off: give --health-port too",
            Problem(("HealthHost", "0.0.0.0")));
        Assert.StartsWith("--health-port 8558 is also Akka.Management's --management-port",
            Problem(("Discovery", "kubernetes"), ("Db", "Host=db"), ("HealthPort", "8558")));
        // Without discovery there is no management listener to collide with.
        Assert.Equal(8558, Load(("HealthPort", "8558")).HealthPort);
    }

    [Fact]
    public void A_node_that_joins_others_needs_the_shared_database()
    {
        Assert.Contains("needs --db", Problem(("Seeds", "10.0.0.1:4053")));
        Assert.Contains("needs --db", Problem(("Discovery", "kubernetes")));
        // Listing only itself is a lone node: SQLite is fine.
        Assert.Null(Load(("Hostname", "10.0.0.1"), ("Port", "4053"), ("Seeds", "10.0.0.1:4053"), ("ClusterSecretFile", "/run/secrets/loom")).Db);
        var joined = Load(("Seeds", "10.0.0.1:4053,10.0.0.2:4053"), ("Db", "Host=db;Database=loom"));
        Assert.True(joined.JoinsOthers);
        Assert.Equal("Host=db;Database=loom", LoomNode.PersistenceOf(joined).PostgresConnectionString);
        Assert.NotNull(LoomNode.PersistenceOf(Load()).SqliteFolder);
    }

    [Fact]
    public void Seeds_and_discovery_are_never_both_used()
    {
        var problem = Problem(("Seeds", "10.0.0.1:4053"), ("Discovery", "kubernetes"), ("Db", "Host=db"));
        Assert.Equal("--seed and --discovery both say how to find the cluster: use one of them (Akka.Management's bootstrap does not run when seed nodes are set)", problem);
    }

    [Fact]
    public void Node_hocon_quotes_roles_and_lists_the_seeds_in_order()
    {
        var options = Load(("Seeds", "b:2552,a:2552"), ("Db", "Host=db"), ("Labels", "linux"), ("Capacity", "2"), ("DrainTimeout", "30s"));
        var config = Akka.Configuration.ConfigurationFactory.ParseString(LoomNode.NodeHocon(options)).WithFallback(LoomNode.ClusterHocon);
        Assert.Equal(["akka.tcp://loom@b:2552", "akka.tcp://loom@a:2552"], config.GetStringList("akka.cluster.seed-nodes"));
        Assert.Equal(["loom-node", "loom-capacity-2", "loom-label-linux"], config.GetStringList("akka.cluster.roles"));
        Assert.True(config.GetTimeSpan("akka.coordinated-shutdown.phases.service-requests-done.timeout") > TimeSpan.FromSeconds(30));
        Assert.Equal("off", config.GetString("akka.cluster.sharding.passivate-idle-entity-after"));
        Assert.Equal("ddata", config.GetString("akka.cluster.sharding.state-store-mode"));
        Assert.Equal("keep-majority", config.GetString("akka.cluster.split-brain-resolver.active-strategy"));
    }
}
