using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.Event;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Loom.Actors.Serialization;
using Loom.Cluster.Hosting;
using Loom.Cluster.Protocol;
using Loom.Cluster.Serialization;
using Loom.Cluster.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Loom.Cluster.Tests.Security;

/// <summary>
/// What a peer that reaches a node's remoting port can do at the Akka level, with and without TLS (docs/security.md): a
/// real node (<see cref="TestCluster"/>) and a real actor system of the peer's own, which the peer configures as it likes.
/// The first test pins down the limit that docs/security.md states: the secret guards the receptionist's way in, nothing
/// else.
/// </summary>
public sealed class AkkaPeerTests : IAsyncLifetime
{
    private const string Secret = "the-cluster-secret-0123456789";
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(5);
    private readonly List<IHost> peers = [];
    private readonly List<X509CertificateHolder> certificates = [];

    [Fact]
    public async Task Without_tls_a_peer_that_reaches_the_port_is_refused_at_the_service_but_can_address_actors_behind_it_and_join()
    {
        await using var cluster = await TestCluster.StartAsync(null, new NodeSecurity(ClusterSecret.FromText(Secret), null), new NodeOptions());
        var node = Akka.Cluster.Cluster.Get(cluster.Systems[0]).SelfAddress;
        var peer = await StartPeerAsync(tls: null);

        // The service clients reach through the receptionist checks the secret ...
        var refused = await peer.ActorSelection($"{node}{LoomClusterHostingExtensions.CoordinatorProxyPath}")
            .Ask<object>(new ClusterProtocol.FindMissingBlobs(["a"]), Short);
        Assert.Equal(new ClusterProtocol.Refused("it carried no cluster secret"), refused);
        var accepted = await peer.ActorSelection($"{node}{LoomClusterHostingExtensions.CoordinatorProxyPath}")
            .Ask<object>(new ClusterProtocol.FindMissingBlobs(["a"]) { Secret = Secret }, Short);
        Assert.Equal(new ClusterProtocol.BlobStored("", "this cluster keeps no files: start its nodes with --db"), accepted);

        // ... but any actor can be addressed directly: the coordinator's proxy answers a request without the secret.
        var behind = await peer.ActorSelection($"{node}/user/{LoomClusterHostingExtensions.SingletonProxyName}")
            .Ask<object>(new ClusterProtocol.FindMissingBlobs(["a"]), Short);
        Assert.Equal(new ClusterProtocol.BlobStored("", "this cluster keeps no files: start its nodes with --db"), behind);

        // And the peer can join the cluster as a member.
        Akka.Cluster.Cluster.Get(peer).Join(node);
        await TestCluster.WaitUntilAsync(() => Akka.Cluster.Cluster.Get(cluster.Systems[0]).State.Members.Count(m => m.Status == MemberStatus.Up) == 2);
        await Akka.Cluster.Cluster.Get(peer).LeaveAsync();
    }

    [Fact]
    public async Task With_tls_a_peer_without_the_cluster_certificate_can_neither_reach_an_actor_nor_join_even_if_it_accepts_any_certificate()
    {
        var clusterCertificate = Certificate("loom-cluster");
        var tls = Tls(clusterCertificate);
        await using var cluster = await TestCluster.StartAsync(null, new NodeSecurity(ClusterSecret.FromText(Secret), tls), new NodeOptions());
        var nodeSystem = cluster.Systems[0];
        var node = Akka.Cluster.Cluster.Get(nodeSystem).SelfAddress;
        Assert.Equal("akka.ssl.tcp", node.Protocol);
        var warnings = new ConcurrentQueue<string>();
        nodeSystem.EventStream.Subscribe(nodeSystem.ActorOf(Props.Create(() => new WarningLog(warnings))), typeof(Warning));

        // Its own certificate, and a check of the node's that lets anything through: all a stranger can choose.
        var intruder = Certificate("intruder");
        var stranger = await StartPeerAsync(new SslOptions
        {
            X509Certificate = intruder,
            RequireMutualAuthentication = true,
            CustomValidator = (_, _, _, _, _) => true,
        });
        var identity = await IdentifyAsync(stranger, $"{node}/user/{LoomClusterHostingExtensions.SingletonProxyName}");
        Assert.Null(identity);
        Akka.Cluster.Cluster.Get(stranger).Join(node);
        await Task.Delay(TimeSpan.FromSeconds(8));
        Assert.Single(Akka.Cluster.Cluster.Get(nodeSystem).State.Members);
        Assert.NotEqual(MemberStatus.Up, Akka.Cluster.Cluster.Get(stranger).SelfMember.Status);
        Assert.Contains(warnings, w => w.StartsWith("TLS: refused ", StringComparison.Ordinal) && w.Contains("CN=intruder", StringComparison.Ordinal)
            && w.Contains("not the cluster's certificate", StringComparison.Ordinal));

        // With the cluster's certificate a client connects, and the secret is still checked.
        var member = await StartPeerAsync(ClusterTls.RemoteOptions("127.0.0.1", 0, tls).Ssl);
        Assert.NotNull(await IdentifyAsync(member, $"{node}{LoomClusterHostingExtensions.CoordinatorProxyPath}"));
        Assert.Equal(new ClusterProtocol.Refused("it carried a wrong cluster secret"), await member.ActorSelection($"{node}{LoomClusterHostingExtensions.CoordinatorProxyPath}")
            .Ask<object>(new ClusterProtocol.FindMissingBlobs(["a"]) { Secret = Secret + "!" }, Short));
        Assert.IsType<ClusterProtocol.BlobStored>(await member.ActorSelection($"{node}{LoomClusterHostingExtensions.CoordinatorProxyPath}")
            .Ask<object>(new ClusterProtocol.FindMissingBlobs(["a"]) { Secret = Secret }, Short));
    }

    private static async Task<IActorRef?> IdentifyAsync(ActorSystem from, string path)
    {
        try
        {
            return (await from.ActorSelection(path).Ask<ActorIdentity>(new Identify(1), Short)).Subject;
        }
        catch (AskTimeoutException)
        {
            return null;
        }
    }

    /// <summary>A peer's own actor system: clustering, Loom's serializers, and remoting on loopback, with TLS as given.</summary>
    private async Task<ActorSystem> StartPeerAsync(SslOptions? tls)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddAkka("loom", akka => akka
            .AddHocon("akka.loglevel = WARNING\nakka.cluster.jmx.enabled = off", HoconAddMode.Prepend)
            .WithRemoting(new RemoteOptions { HostName = "127.0.0.1", Port = 0, EnableSsl = tls is not null, Ssl = tls! })
            .WithClustering(new ClusterOptions())
            .WithLoomSerialization()
            .WithLoomClusterSerialization());
        var host = builder.Build();
        await host.StartAsync();
        peers.Add(host);
        return host.Services.GetRequiredService<ActorSystem>();
    }

    private System.Security.Cryptography.X509Certificates.X509Certificate2 Certificate(string name)
    {
        var holder = new X509CertificateHolder(TestCertificates.Create(name));
        certificates.Add(holder);
        return holder.Certificate;
    }

    private ClusterTls Tls(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate)
    {
        var folder = Directory.CreateTempSubdirectory("loom-peer-tls-").FullName;
        try
        {
            return ClusterTls.Load(TestCertificates.WritePfx(Path.Combine(folder, "cluster.pfx"), certificate), null);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var host in peers)
        {
            try
            {
                await host.StopAsync(TimeSpan.FromSeconds(10));
            }
            catch (OperationCanceledException)
            {
            }
            host.Dispose();
        }
        foreach (var holder in certificates)
            holder.Certificate.Dispose();
    }

    private sealed record X509CertificateHolder(System.Security.Cryptography.X509Certificates.X509Certificate2 Certificate);

    private sealed class WarningLog : ReceiveActor
    {
        public WarningLog(ConcurrentQueue<string> warnings) => Receive<Warning>(w => warnings.Enqueue(w.Message?.ToString() ?? ""));
    }
}
