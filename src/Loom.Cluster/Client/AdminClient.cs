using System.Threading.Channels;
using Akka.Actor;
using Akka.Cluster.Tools.Client;
using Loom.Actors;
using Loom.Actors.Protocol;
using Loom.Cluster.Admin;

namespace Loom.Cluster.Client;

/// <summary>
/// <c>loom ctl</c>'s side: the admin actors of a cluster, reached through a ClusterClient (the operator's machine needs
/// no port others can reach). Each request carries the cluster secret when one is given.
/// </summary>
public sealed class AdminClient : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);
    private readonly ClusterSubmitter connection;

    private AdminClient(ClusterSubmitter connection, string? secret)
    {
        this.connection = connection;
        Secret = secret;
    }

    /// <summary>What requests carry as their <c>Secret</c>.</summary>
    public string? Secret { get; }

    public ActorSystem System => connection.System;

    /// <param name="contacts">Nodes as <c>HOST:PORT</c>; any one that answers will do.</param>
    /// <param name="security">The cluster's secret and TLS certificate, when it has them.</param>
    public static async Task<AdminClient> ConnectAsync(IReadOnlyList<string> contacts, ClusterClientSecurity security) =>
        new(await ClusterSubmitter.ConnectAsync(contacts, security).ConfigureAwait(false), security.Secret?.Text);

    /// <summary>
    /// Asks any node's admin; the answer, or <see cref="AdminProtocol.Refused"/>. Throws <see cref="TimeoutException"/>
    /// when no node answers in time.
    /// </summary>
    public async Task<object> AskAsync(IAdminRequest request, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var wait = timeout ?? DefaultTimeout;
        try
        {
            return await connection.Client.Ask<object>(new ClusterClient.Send(AdminProtocol.AdminPath, request, localAffinity: true), wait, cancellationToken).ConfigureAwait(false);
        }
        catch (AskTimeoutException)
        {
            throw new TimeoutException($"no node of the cluster answered in {wait.TotalSeconds:0} s (is the address right, and the node up?)");
        }
    }

    /// <summary>The run's journaled events, deserialized as the node serialized them.</summary>
    public IReadOnlyList<IRunEvent> EventsOf(AdminProtocol.RunFound run) =>
        run.Events.Select(e => (IRunEvent)e.Open(System.Serialization)).ToList();

    /// <summary>Membership changes as they happen (the current members first) until <paramref name="cancellationToken"/> ends it.</summary>
    public ChannelReader<object> Tail(CancellationToken cancellationToken)
    {
        var channel = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
        var tail = System.ActorOf(MemberTail.Props(connection.Client, Secret, channel.Writer));
        cancellationToken.Register(() => tail.Tell(PoisonPill.Instance));
        return channel.Reader;
    }

    public ValueTask DisposeAsync() => connection.DisposeAsync();

    /// <summary>Keeps a tail alive (the admin forgets a tail it has not heard from for 30 s) and passes its changes on.</summary>
    private sealed class MemberTail : ReceiveActor, IWithTimers
    {
        private static readonly TimeSpan KeepAliveEvery = TimeSpan.FromSeconds(5);
        private readonly IActorRef client;
        private readonly string? secret;

        public MemberTail(IActorRef client, string? secret, ChannelWriter<object> changes)
        {
            this.client = client;
            this.secret = secret;
            Receive<AdminProtocol.MemberChanged>(change => changes.TryWrite(change));
            Receive<AdminProtocol.Refused>(refused =>
            {
                changes.TryWrite(refused);
                changes.TryComplete();
                Context.Stop(Self);
            });
            Receive<KeepAlive>(_ => Send(new AdminProtocol.TailMembers(secret)));
        }

        public ITimerScheduler Timers { get; set; } = null!;

        public static Props Props(IActorRef client, string? secret, ChannelWriter<object> changes) =>
            ActorProps.Of(() => new MemberTail(client, secret, changes));

        protected override void PreStart()
        {
            Send(new AdminProtocol.TailMembers(secret));
            Timers.StartPeriodicTimer(KeepAlive.Instance, KeepAlive.Instance, KeepAliveEvery);
        }

        protected override void PostStop() => Send(new AdminProtocol.StopTail(secret));

        private void Send(IAdminRequest request) => client.Tell(new ClusterClient.Send(AdminProtocol.AdminPath, request, localAffinity: true));

        private sealed class KeepAlive
        {
            public static readonly KeepAlive Instance = new();
        }
    }
}
