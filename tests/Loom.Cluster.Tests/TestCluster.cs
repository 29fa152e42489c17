using Loom.Cluster.Tests.Support;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Loom.Actors.Hosting;
using Loom.Cluster.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Loom.Cluster.Tests;

/// <summary>Real Loom nodes in this process: one host and actor system each, on loopback with a free port, joined into one cluster.</summary>
public sealed class TestCluster : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly List<IHost> hosts = [];
    private readonly string? postgres;
    private readonly NodeSecurity security;

    private TestCluster(string? postgres, string root, NodeSecurity security)
    {
        this.postgres = postgres;
        this.security = security;
        Root = root;
    }

    /// <summary>A folder of this cluster: the nodes' workspaces are under it.</summary>
    public string Root { get; }

    public IReadOnlyList<ActorSystem> Systems => hosts.Select(h => h.Services.GetRequiredService<ActorSystem>()).ToList();

    /// <param name="postgres">The run store (and the store of submitted files); null for one SQLite journal shared by the nodes (they are in one process).</param>
    public static Task<TestCluster> StartAsync(string? postgres, params NodeOptions[] nodes) => StartAsync(postgres, NodeSecurity.None, nodes);

    /// <param name="security">Every node's cluster secret and TLS certificate, as <c>loom serve</c> would load them.</param>
    public static async Task<TestCluster> StartAsync(string? postgres, NodeSecurity security, params NodeOptions[] nodes)
    {
        var root = Directory.CreateTempSubdirectory("loom-cluster-").FullName;
        var cluster = new TestCluster(postgres, root, security);
        foreach (var node in nodes)
            await cluster.AddNodeAsync(node);
        return cluster;
    }

    public async Task<ActorSystem> AddNodeAsync(NodeOptions node)
    {
        var index = hosts.Count;
        node = node with { Workspace = Path.Combine(Root, "node" + index), Db = postgres };
        var loom = new LoomOptions
        {
            Persistence = postgres is null ? LoomPersistenceOptions.Embedded(Path.Combine(Root, "state")) : new LoomPersistenceOptions { PostgresConnectionString = postgres },
            StepLogs = new LoomStepLogOptions { RunsFolder = Path.Combine(node.Workspace, "runs") },
            DefaultMaxParallel = 10_000,
        };
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddAkka("loom", akka => akka
            .AddHocon("""
                akka.loglevel = INFO
                akka.cluster.jmx.enabled = off
                akka.remote.dot-netty.tcp.maximum-frame-size = 1MiB
                akka.cluster.failure-detector.heartbeat-interval = 500ms
                akka.cluster.failure-detector.acceptable-heartbeat-pause = 3s
                akka.cluster.split-brain-resolver.stable-after = 3s
                """, HoconAddMode.Prepend)
            // serialize-messages = on for Loom's messages (see VerifyingMailbox for why not Akka's own setting).
            .AddHocon(VerifyingMailbox.Hocon, HoconAddMode.Prepend)
            .WithRemoting(ClusterTls.RemoteOptions("127.0.0.1", 0, security.Tls))
            .WithClustering(new ClusterOptions
            {
                Roles = NodeRoles.Of(node).ToArray(),
                SplitBrainResolver = SplitBrainResolverOption.Default,
            })
            .WithLoomCluster(node, loom, secret: security.Secret));
        var host = builder.Build();
        await host.StartAsync();
        hosts.Add(host);
        var system = host.Services.GetRequiredService<ActorSystem>();
        var cluster = Akka.Cluster.Cluster.Get(system);
        cluster.Join(index == 0 ? cluster.SelfAddress : Akka.Cluster.Cluster.Get(Systems[0]).SelfAddress);
        await WaitUntilAsync(() => Systems.All(s => Akka.Cluster.Cluster.Get(s).State.Members.Count(m => m.Status == MemberStatus.Up) == hosts.Count));
        return system;
    }

    public IActorRef Coordinator(int node = 0) =>
        hosts[node].Services.GetRequiredService<IRequiredActor<RunCoordinatorKey>>().ActorRef;

    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan? patience = null)
    {
        var deadline = DateTime.UtcNow + (patience ?? Patience);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("condition not met in time");
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        var failures = Systems.SelectMany(VerifyingMailbox.FailuresOf).Distinct().ToList();
        foreach (var host in Enumerable.Reverse(hosts))
        {
            try
            {
                await host.StopAsync(TimeSpan.FromSeconds(20));
            }
            catch (OperationCanceledException)
            {
            }
            host.Dispose();
        }
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        if (failures.Count > 0)
            throw new InvalidOperationException("messages that do not survive serialization:\n" + string.Join("\n", failures));
    }
}
