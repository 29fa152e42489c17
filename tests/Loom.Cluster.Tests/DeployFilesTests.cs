using System.Globalization;
using System.Text.RegularExpressions;
using Loom.Cli.Commands;
using Loom.Cluster.Hosting;
using Loom.Cluster.Node;
using Microsoft.Extensions.Configuration;
using YamlDotNet.RepresentationModel;

namespace Loom.Cluster.Tests;

/// <summary>
/// What can be checked of deploy/ without Docker, Kubernetes or systemd: every YAML file parses, and every node's
/// settings (environment variables, <c>loom serve</c> arguments) bind through Loom's own <see cref="NodeConfiguration"/>
/// into <see cref="NodeOptions"/> and pass <see cref="NodeOptionsValidator"/>; stop timeouts leave the drain its time.
/// Nothing here runs a container, a pod or a unit.
/// </summary>
public sealed partial class DeployFilesTests
{
    private static readonly string Deploy = Path.Combine(RepositoryRoot(), "deploy");

    [Fact]
    public void Every_yaml_file_under_deploy_parses()
    {
        var files = Directory.EnumerateFiles(Deploy, "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".yml", StringComparison.Ordinal) || f.EndsWith(".yaml", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Contains(Path.Combine(Deploy, "docker-compose.yml"), files);
        Assert.Contains(Path.Combine(Deploy, "kubernetes", "statefulset.yaml"), files);
        foreach (var file in files)
        {
            var documents = LoadYaml(file);
            Assert.True(documents.Count > 0, $"{file}: no document");
            foreach (var document in documents)
            {
                Assert.True(document is YamlMappingNode, $"{file}: a document that is not a mapping");
                if (file.Contains($"{Path.DirectorySeparatorChar}kubernetes{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
                {
                    Assert.False(string.IsNullOrEmpty(Text(document, "apiVersion")), $"{file}: a manifest without apiVersion");
                    Assert.False(string.IsNullOrEmpty(Text(document, "kind")), $"{file}: a manifest without kind");
                }
            }
        }
    }

    [Fact]
    public void Compose_runs_postgres_and_three_nodes_whose_settings_bind_and_validate()
    {
        var path = Path.Combine(Deploy, "docker-compose.yml");
        var raw = File.ReadAllText(path);
        var compose = (YamlMappingNode)LoadYaml(path).Single();
        var variables = ReadEnvFile(Path.Combine(Deploy, ".env.example"));
        var services = (YamlMappingNode)compose["services"];

        var postgres = Map(services, "postgres");
        Assert.StartsWith("postgres:", Text(postgres, "image"));
        Assert.NotNull(Get(postgres, "healthcheck", "test"));
        var postgresEnv = ComposeEnvironment(postgres, variables);

        var nodes = services.Children
            .Where(s => ComposeEnvironment((YamlMappingNode)s.Value, variables).Keys.Any(k => k.StartsWith("Loom__Node__", StringComparison.Ordinal)))
            .Select(s => (Name: ((YamlScalarNode)s.Key).Value!, Service: (YamlMappingNode)s.Value))
            .ToList();
        Assert.Equal(3, nodes.Count);

        var declaredVolumes = ((YamlMappingNode)compose["volumes"]).Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToHashSet();
        var workspaceVolumes = new HashSet<string>();
        var seedLists = new List<string>();
        foreach (var (name, service) in nodes)
        {
            var env = ComposeEnvironment(service, variables);
            var options = BindNode(env, []);

            // Every node joins the others through the same seeds, in the same order, and is one of them.
            Assert.Null(options.Discovery);
            Assert.True(options.JoinsOthers, $"{name} joins no one");
            seedLists.Add(string.Join(",", options.Seeds));
            Assert.Equal(name, options.Hostname);
            Assert.Contains($"{options.Hostname}:{options.Port}", options.Seeds);
            Assert.Equal(Text(service, "hostname") ?? name, options.Hostname);

            // The shared database is the postgres service, its password from the env file, never written in the file.
            var db = new Npgsql.NpgsqlConnectionStringBuilder(options.Db);
            Assert.Equal("postgres", db.Host);
            Assert.Equal(postgresEnv["POSTGRES_USER"], db.Username);
            Assert.Equal(postgresEnv["POSTGRES_DB"], db.Database);
            Assert.Equal(postgresEnv["POSTGRES_PASSWORD"], db.Password);
            Assert.Contains("Password=${DB_PASSWORD", RawEnvironment(service)["Loom__Node__Db"]);
            Assert.Equal("service_healthy", Text(service, "depends_on", "postgres", "condition"));

            // A named volume of its own holds the node's workspace.
            var volume = Sequence(service, "volumes").Select(v => ((YamlScalarNode)v).Value!.Split(':')).Single(v => v[1] == options.Workspace)[0];
            Assert.Contains(volume, declaredVolumes);
            Assert.True(workspaceVolumes.Add(volume), $"{name} shares the workspace volume {volume}");

            // The node binds an address other containers reach, so it has the cluster's secret: a compose secret from a file.
            Assert.False(NodeOptions.IsLoopback(options.Hostname));
            var secretName = Path.GetFileName(options.ClusterSecretFile!);
            Assert.Equal($"/run/secrets/{secretName}", options.ClusterSecretFile);
            Assert.Contains(secretName, Sequence(service, "secrets").Select(x => ((YamlScalarNode)x).Value));
            Assert.False(string.IsNullOrEmpty(Text(compose, "secrets", secretName, "file")), $"secret {secretName} is not a file");

            // The health check asks the node's own /health/ready, on the port it serves it, from inside the container (curl is in
            // the image): a node is healthy once it is an Up member. The endpoints listen on every address, loopback included.
            Assert.NotNull(options.HealthPort);
            Assert.Null(options.HealthHost);
            var check = Sequence(service, "healthcheck", "test").Select(t => ((YamlScalarNode)t).Value!).ToList();
            Assert.Equal(new[] { "CMD", "curl" }, check.Take(2));
            // -f: a 503 fails the check.
            Assert.Contains(check, a => a.StartsWith('-') && !a.StartsWith("--", StringComparison.Ordinal) && a.Contains('f', StringComparison.Ordinal));
            Assert.Equal($"http://127.0.0.1:{options.HealthPort}{NodeHealthEndpoint.ReadyPath}", check[^1]);
            Assert.True(Duration(Text(service, "healthcheck", "timeout")!) > NodeHealth.GateTimeout, $"{name}'s health check times out before the node answers");
            // The other nodes start once the first seed is an Up member, and join its cluster.
            var firstSeed = options.SeedEndpoints[0].Host;
            if (name != firstSeed)
                Assert.Equal("service_healthy", Text(service, "depends_on", firstSeed, "condition"));
            Assert.Equal("deploy/Dockerfile", Text(service, "build", "dockerfile"));
            Assert.Equal("SIGTERM", Text(service, "stop_signal") ?? "SIGTERM");
            AssertLongerThanTheStop(options, Duration(Text(service, "stop_grace_period") ?? "10s"), $"{name}'s stop_grace_period");
        }
        Assert.Single(seedLists.Distinct());
        Assert.DoesNotContain("change-me", raw);
        // The secret's file is never committed.
        var secretFile = Text(compose, "secrets", "loom-cluster-secret", "file")!;
        Assert.Contains("deploy/" + Path.GetFileName(secretFile), File.ReadAllLines(Path.Combine(RepositoryRoot(), ".gitignore")));

        // The image: `loom serve`, with no password in it.
        var dockerfile = File.ReadAllText(Path.Combine(Deploy, "Dockerfile"));
        Assert.Contains("mcr.microsoft.com/dotnet/sdk:10.0", dockerfile);
        Assert.Matches(@"ENTRYPOINT \[.*""serve""\]", dockerfile);
        Assert.DoesNotContain("Password", dockerfile, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotMatch(@"(?m)^\s*(ENV|ARG)\b[^\n]*Loom__Node__Db", dockerfile);
        Assert.Matches(@"apt-get install[^\n]*\bcurl\b", dockerfile);
        // Whatever a service waits for to be healthy has a health check.
        foreach (var (_, service) in services.Children)
        {
            if (Get(service, "depends_on") is YamlMappingNode dependencies)
            {
                foreach (var (dependency, settings) in dependencies.Children)
                {
                    if (Text(settings, "condition") == "service_healthy")
                        Assert.NotNull(Get(services, ((YamlScalarNode)dependency).Value!, "healthcheck", "test"));
                }
            }
        }
    }

    [Fact]
    public void Kubernetes_statefulset_bootstraps_through_kubernetes_discovery_with_settings_that_bind_and_validate()
    {
        var folder = Path.Combine(Deploy, "kubernetes");
        var manifests = Directory.EnumerateFiles(folder, "*.yaml")
            .SelectMany(f => LoadYaml(f).Select(d => (File: Path.GetFileName(f), Doc: (YamlMappingNode)d)))
            .ToList();
        YamlMappingNode Kind(string kind) => manifests.Single(m => Text(m.Doc, "kind") == kind).Doc;

        var set = Kind("StatefulSet");
        var replicas = int.Parse(Text(set, "spec", "replicas")!, CultureInfo.InvariantCulture);
        Assert.Equal(3, replicas);
        Assert.Equal("Parallel", Text(set, "spec", "podManagementPolicy"));
        var pod = Map(set, "spec", "template", "spec");
        var container = (YamlMappingNode)Sequence(pod, "containers").Single();

        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (YamlMappingNode variable in Sequence(container, "env"))
        {
            var name = Text(variable, "name")!;
            if (Text(variable, "value") is { } value)
                env[name] = value;
            else if (Text(variable, "valueFrom", "fieldRef", "fieldPath") == "status.podIP")
                env[name] = "10.244.1.17";
            else if (Get(variable, "valueFrom", "secretKeyRef") is YamlMappingNode secret)
            {
                Assert.Equal("Loom__Node__Db", name);
                Assert.False(string.IsNullOrEmpty(Text(secret, "name")));
                Assert.False(string.IsNullOrEmpty(Text(secret, "key")));
                env[name] = "Host=postgres.example;Username=loom;Password=secret;Database=loom";
            }
            else
                Assert.Fail($"env {name}: neither a value, the pod IP nor a secret");
        }
        Assert.Equal("status.podIP", Text(Sequence(container, "env").Cast<YamlMappingNode>().Single(v => Text(v, "name") == "Loom__Node__Hostname"), "valueFrom", "fieldRef", "fieldPath"));
        Assert.DoesNotContain(Sequence(container, "env").Cast<YamlMappingNode>(), v => Text(v, "name") == "Loom__Node__Db" && Text(v, "value") is not null);
        var args = Sequence(container, "args").Select(a => ((YamlScalarNode)a).Value!).ToList();
        var options = BindNode(env, args);

        Assert.Equal(NodeOptions.KubernetesDiscovery, options.Discovery);
        Assert.Empty(options.Seeds);
        Assert.NotNull(options.Db);
        Assert.Equal(replicas, options.RequiredContactPoints);
        // The pod IP is reachable from the cluster network: the node reads the cluster's secret from a mounted Secret.
        Assert.False(NodeOptions.IsLoopback(options.Hostname));
        var secretMount = (YamlMappingNode)Sequence(container, "volumeMounts").Single(m => options.ClusterSecretFile!.StartsWith(Text(m, "mountPath") + "/", StringComparison.Ordinal));
        Assert.Equal("true", Text(secretMount, "readOnly"));
        var secretVolume = (YamlMappingNode)Sequence(pod, "volumes").Single(v => Text(v, "name") == Text(secretMount, "name"));
        Assert.False(string.IsNullOrEmpty(Text(secretVolume, "secret", "secretName")));
        // The discovery's pod label selector is app={DiscoveryService}.
        Assert.Equal(options.DiscoveryService, Text(set, "spec", "template", "metadata", "labels", "app"));
        Assert.Equal(options.DiscoveryService, Text(set, "spec", "selector", "matchLabels", "app"));

        var ports = Sequence(container, "ports").Cast<YamlMappingNode>().ToDictionary(p => Text(p, "name")!, p => int.Parse(Text(p, "containerPort")!, CultureInfo.InvariantCulture));
        Assert.Equal(options.ManagementPort, ports["management"]);
        Assert.Equal(options.Port, ports["remoting"]);
        // The probes ask the node's health endpoints, on the port it serves them and on every address (the kubelet probes the
        // pod IP); each waits longer than the node may take to answer.
        Assert.NotNull(options.HealthPort);
        Assert.Null(options.HealthHost);
        foreach (var (probe, path) in new[] { ("startupProbe", NodeHealthEndpoint.AlivePath), ("readinessProbe", NodeHealthEndpoint.ReadyPath), ("livenessProbe", NodeHealthEndpoint.AlivePath) })
        {
            var port = Text(container, probe, "httpGet", "port")!;
            Assert.Equal(options.HealthPort, int.TryParse(port, CultureInfo.InvariantCulture, out var number) ? number : ports[port]);
            Assert.Equal(path, Text(container, probe, "httpGet", "path"));
            Assert.True(TimeSpan.FromSeconds(int.Parse(Text(container, probe, "timeoutSeconds") ?? "1", CultureInfo.InvariantCulture)) > NodeHealth.GateTimeout,
                $"{probe} times out before the node answers");
        }

        var workspace = (YamlMappingNode)Sequence(container, "volumeMounts").Single(m => Text(m, "mountPath") == options.Workspace);
        var claims = Sequence(set, "spec", "volumeClaimTemplates").Select(c => Text(c, "metadata", "name")).ToList();
        Assert.Contains(Text(workspace, "name"), claims);

        AssertLongerThanTheStop(options, TimeSpan.FromSeconds(int.Parse(Text(pod, "terminationGracePeriodSeconds")!, CultureInfo.InvariantCulture)),
            "terminationGracePeriodSeconds");

        // The headless service the set is named after, selecting its pods.
        var service = Kind("Service");
        Assert.Equal(Text(set, "spec", "serviceName"), Text(service, "metadata", "name"));
        Assert.Equal("None", Text(service, "spec", "clusterIP"));
        Assert.Equal(options.DiscoveryService, Text(service, "spec", "selector", "app"));

        // Kubernetes discovery lists pods: the pod's service account is bound to a role that may.
        var account = Text(pod, "serviceAccountName");
        Assert.Equal(account, Text(Kind("ServiceAccount"), "metadata", "name"));
        var role = Kind("Role");
        Assert.Contains(Sequence(role, "rules").Cast<YamlMappingNode>(), rule =>
            Sequence(rule, "resources").Any(r => ((YamlScalarNode)r).Value == "pods")
            && new[] { "get", "list", "watch" }.All(v => Sequence(rule, "verbs").Any(x => ((YamlScalarNode)x).Value == v)));
        var binding = Kind("RoleBinding");
        Assert.Equal(Text(role, "metadata", "name"), Text(binding, "roleRef", "name"));
        Assert.Contains(Sequence(binding, "subjects").Cast<YamlMappingNode>(), s => Text(s, "kind") == "ServiceAccount" && Text(s, "name") == account);

        // Only Loom's pods (and labelled submitters, on the remoting port) may connect; no rule lets everyone in.
        var policy = Kind("NetworkPolicy");
        Assert.Equal(options.DiscoveryService, Text(policy, "spec", "podSelector", "matchLabels", "app"));
        Assert.Contains("Ingress", Sequence(policy, "spec", "policyTypes").Select(t => ((YamlScalarNode)t).Value));
        var rules = Sequence(policy, "spec", "ingress").Cast<YamlMappingNode>().ToList();
        foreach (var rule in rules)
        {
            var sources = Sequence(rule, "from").Cast<YamlMappingNode>().ToList();
            Assert.NotEmpty(sources);
            Assert.All(sources, f => Assert.NotNull(Get(f, "podSelector", "matchLabels")));
        }
        int[] PortsFrom(string label, string value) => rules
            .Where(r => Sequence(r, "from").Cast<YamlMappingNode>().Any(f => Text(f, "podSelector", "matchLabels", label) == value))
            .SelectMany(r => Sequence(r, "ports").Select(p => int.Parse(Text(p, "port")!, CultureInfo.InvariantCulture))).ToArray();
        Assert.Equal([options.Port, options.ManagementPort], PortsFrom("app", options.DiscoveryService).Order());
        Assert.Equal([options.Port], PortsFrom("loom-submitter", "true"));

        var budget = Kind("PodDisruptionBudget");
        Assert.Equal("1", Text(budget, "spec", "maxUnavailable"));
        Assert.Equal(options.DiscoveryService, Text(budget, "spec", "selector", "matchLabels", "app"));

        // kubectl apply -k applies every manifest here.
        var kustomization = Sequence(manifests.Single(m => Text(m.Doc, "kind") == "Kustomization").Doc, "resources").Select(r => ((YamlScalarNode)r).Value).ToHashSet();
        foreach (var file in manifests.Select(m => m.File).Distinct().Where(f => f != "kustomization.yaml"))
            Assert.Contains(file, kustomization);
    }

    [Fact]
    public void Systemd_unit_runs_loom_serve_with_arguments_that_parse_bind_and_validate()
    {
        var unit = ReadUnit(Path.Combine(Deploy, "systemd", "loom-node.service"));
        var service = unit["Service"];

        var argv = SplitCommand(service["ExecStart"]);
        Assert.Equal("loom", Path.GetFileName(argv[0]));
        Assert.Equal("serve", argv[1]);
        // The example EnvironmentFile stands for /etc/loom/loom-node.env.
        var envFile = Path.Combine(Deploy, "systemd", Path.GetFileName(service["EnvironmentFile"].TrimStart('-')) + ".example");
        var options = BindNode(ReadEnvFile(envFile), argv.Skip(2).ToList());

        Assert.True(options.JoinsOthers);
        Assert.Contains($"{options.Hostname}:{options.Port}", options.Seeds);
        Assert.Equal("/var/lib/loom", options.Workspace);
        Assert.False(NodeOptions.IsLoopback(options.Hostname));
        Assert.StartsWith("/etc/loom/", options.ClusterSecretFile);
        Assert.Equal("loom", service["StateDirectory"]);
        Assert.Equal("/var/lib/loom", service["WorkingDirectory"]);
        Assert.Equal("loom", service["User"]);
        Assert.Equal("on-failure", service["Restart"]);
        Assert.Equal("SIGTERM", service["KillSignal"]);
        // Only loom gets SIGTERM and drains; the default control-group would signal every step at once.
        Assert.Equal("mixed", service["KillMode"]);
        AssertLongerThanTheStop(options, Duration(service["TimeoutStopSec"]), "TimeoutStopSec");
    }

    [Theory]
    [InlineData("Loom__Node__Capcity", "4", "Loom:Node:Capcity is not a setting of a node")]
    [InlineData("Loom__Nodes__Capacity", "4", "Loom__Nodes__Capacity is not under Loom__Node__")]
    [InlineData("Loom__Node__Capacity", "0", "--capacity (Loom:Node:Capacity) must be from 1 to 1024, not 0")]
    public void The_check_finds_a_setting_that_would_be_wrong_or_ignored(string key, string value, string problem)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal) { [key] = value };
        Assert.StartsWith(problem, Assert.ThrowsAny<Exception>(() => BindNode(env, [])).Message);
        Assert.Throws<UsageException>(() => BindNode(new Dictionary<string, string>(), ["--capcity", "4"]));
    }

    /// <summary>
    /// A node's settings as <c>loom serve</c> reads them: environment variables in .NET's form (<c>__</c> separates levels, as
    /// the environment configuration provider does) under the command line's options, bound and validated by Loom's own code.
    /// A <c>Loom__</c> variable outside <c>Loom__Node__</c> would be silently ignored by the node, so it is an error here.
    /// </summary>
    private static NodeOptions BindNode(IReadOnlyDictionary<string, string> env, IReadOnlyList<string> args)
    {
        foreach (var key in env.Keys.Where(k => k.StartsWith("Loom__", StringComparison.OrdinalIgnoreCase)))
            if (!key.StartsWith("Loom__Node__", StringComparison.OrdinalIgnoreCase))
                throw new InvalidOperationException($"{key} is not under Loom__Node__: loom serve would ignore it");
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(env.Select(kv => new KeyValuePair<string, string?>(kv.Key.Replace("__", ":", StringComparison.Ordinal), kv.Value)))
            .AddInMemoryCollection(ServeCommand.SettingsOf(args))
            .Build();
        return NodeConfiguration.Load(configuration);
    }

    /// <summary>The platform's SIGKILL must not come before the node's own ceiling for draining, leaving and handing over.</summary>
    private static void AssertLongerThanTheStop(NodeOptions options, TimeSpan stop, string what)
    {
        Assert.True(stop > options.DrainTimeout, $"{what} {stop} is not longer than the drain timeout {options.DrainTimeout}");
        Assert.True(stop > LoomNode.ShutdownTimeoutOf(options),
            $"{what} {stop} is not longer than the node's shutdown ceiling {LoomNode.ShutdownTimeoutOf(options)} (drain {options.DrainTimeout} + hand-back + leave)");
    }

    private static List<YamlNode> LoadYaml(string path)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(path))
            stream.Load(reader);
        return stream.Documents.Select(d => d.RootNode).ToList();
    }

    private static YamlNode? Get(YamlNode node, params string[] path)
    {
        foreach (var key in path)
        {
            if (node is not YamlMappingNode mapping || !mapping.Children.TryGetValue(new YamlScalarNode(key), out var next))
                return null;
            node = next;
        }
        return node;
    }

    private static string? Text(YamlNode node, params string[] path) => (Get(node, path) as YamlScalarNode)?.Value;

    private static YamlMappingNode Map(YamlNode node, params string[] path) =>
        Get(node, path) as YamlMappingNode ?? throw new InvalidOperationException($"no mapping at {string.Join('.', path)}");

    private static IEnumerable<YamlNode> Sequence(YamlNode node, params string[] path) =>
        Get(node, path) as YamlSequenceNode ?? throw new InvalidOperationException($"no sequence at {string.Join('.', path)}");

    /// <summary>A compose service's environment as written (a mapping or a list of <c>KEY=VALUE</c>).</summary>
    private static Dictionary<string, string> RawEnvironment(YamlMappingNode service) => Get(service, "environment") switch
    {
        YamlMappingNode map => map.Children.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => ((YamlScalarNode)kv.Value).Value ?? "", StringComparer.Ordinal),
        YamlSequenceNode list => list.Select(i => ((YamlScalarNode)i).Value!.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "", StringComparer.Ordinal),
        _ => new Dictionary<string, string>(StringComparer.Ordinal),
    };

    /// <summary>The environment as the container gets it: compose's <c>${NAME}</c>, <c>${NAME:?message}</c> and <c>${NAME:-default}</c> filled from the env file.</summary>
    private static Dictionary<string, string> ComposeEnvironment(YamlMappingNode service, IReadOnlyDictionary<string, string> variables) =>
        RawEnvironment(service).ToDictionary(kv => kv.Key, kv => Interpolate(kv.Value, variables), StringComparer.Ordinal);

    private static string Interpolate(string text, IReadOnlyDictionary<string, string> variables) =>
        ComposeVariable().Replace(text, m =>
        {
            if (m.Value == "$$")
                return "$";
            var name = m.Groups["name"].Value;
            if (variables.TryGetValue(name, out var value))
                return value;
            Assert.False(m.Groups["op"].Value.EndsWith('?'), $"${{{name}}} is required but .env.example does not set it");
            return m.Groups["op"].Value.EndsWith('-') ? m.Groups["arg"].Value : "";
        });

    [GeneratedRegex(@"\$\$|\$\{(?<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?<op>:?[-?])(?<arg>[^}]*))?\}")]
    private static partial Regex ComposeVariable();

    /// <summary><c>KEY=VALUE</c> lines (compose's <c>.env</c>, systemd's EnvironmentFile); <c>#</c> comments; optional quotes.</summary>
    private static Dictionary<string, string> ReadEnvFile(string path)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')))
        {
            var (key, value) = (line[..line.IndexOf('=')], line[(line.IndexOf('=') + 1)..]);
            if (value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[^1] == value[0])
                value = value[1..^1];
            result[key] = value;
        }
        return result;
    }

    /// <summary>A unit file's sections and settings (the last of a repeated setting wins; enough for this unit).</summary>
    private static Dictionary<string, Dictionary<string, string>> ReadUnit(string path)
    {
        var sections = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        Dictionary<string, string>? section = null;
        var text = File.ReadAllText(path).Replace("\\\n", " ", StringComparison.Ordinal);
        foreach (var line in text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#') && !l.StartsWith(';')))
        {
            if (line.StartsWith('['))
                sections[line.Trim('[', ']')] = section = new Dictionary<string, string>(StringComparer.Ordinal);
            else
                section![line[..line.IndexOf('=')].Trim()] = line[(line.IndexOf('=') + 1)..].Trim();
        }
        return sections;
    }

    /// <summary>ExecStart's words: split at blanks, double or single quotes group (systemd's rules, without its escapes).</summary>
    private static List<string> SplitCommand(string command) =>
        CommandWord().Matches(command).Select(m => m.Groups["q"].Success ? m.Groups["q"].Value : m.Groups["s"].Success ? m.Groups["s"].Value : m.Value).ToList();

    [GeneratedRegex("""
        "(?<q>[^"]*)"|'(?<s>[^']*)'|[^\s"']+
        """)]
    private static partial Regex CommandWord();

    /// <summary>systemd's and compose's durations: <c>150</c> (seconds), <c>150s</c>, <c>2min 30s</c>, <c>2m30s</c>, <c>1h</c>.</summary>
    private static TimeSpan Duration(string text)
    {
        text = text.Trim();
        if (double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var plain))
            return TimeSpan.FromSeconds(plain);
        var parts = DurationPart().Matches(text);
        Assert.True(parts.Count > 0 && string.Concat(parts.Select(p => p.Value)).Replace(" ", "", StringComparison.Ordinal) == text.Replace(" ", "", StringComparison.Ordinal),
            $"'{text}' is not a duration");
        return parts.Aggregate(TimeSpan.Zero, (total, p) => total + TimeSpan.FromSeconds(double.Parse(p.Groups["n"].Value, CultureInfo.InvariantCulture) * p.Groups["unit"].Value switch
        {
            "ms" or "msec" => 0.001,
            "s" or "sec" => 1,
            "m" or "min" => 60,
            "h" or "hr" => 3600,
            var unit => throw new InvalidOperationException($"unit {unit}"),
        }));
    }

    [GeneratedRegex(@"\s*(?<n>\d+(?:\.\d+)?)\s*(?<unit>msec|ms|sec|s|min|m|hr|h)")]
    private static partial Regex DurationPart();

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Loom.Actors.sln")))
                return dir.FullName;
        throw new InvalidOperationException("Loom.Actors.sln not found above the test's folder");
    }
}
