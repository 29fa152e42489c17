using System.Collections.Immutable;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Cluster.Tools.Client;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Loom.Actors;
using Loom.Actors.Protocol;
using Loom.Actors.Serialization;
using Loom.Cluster.Hosting;
using Loom.Cluster.Protocol;
using Loom.Cluster.Runners;
using Loom.Cluster.Serialization;
using Loom.Cluster.Storage;
using Loom.Core.Model;
using Loom.Core.Workspaces;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Loom.Cluster.Client;

/// <summary>
/// <c>loom run --cluster</c>'s side: a small actor system of its own with a ClusterClient to the nodes' receptionists
/// (the submitter needs no port others can reach), which uploads the run's files, submits it, and follows it.
/// </summary>
public sealed class ClusterSubmitter : IAsyncDisposable
{
    public static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(30);
    private readonly ServiceProvider services;
    private readonly IReadOnlyList<IHostedService> hosted;

    private ClusterSubmitter(ServiceProvider services, IReadOnlyList<IHostedService> hosted, IActorRef client)
    {
        this.services = services;
        this.hosted = hosted;
        Client = client;
        System = services.GetRequiredService<ActorSystem>();
    }

    public ActorSystem System { get; }

    /// <summary>The ClusterClient: messages to the coordinator go through it as <see cref="ClusterClient.Send"/>.</summary>
    public IActorRef Client { get; }

    /// <param name="contacts">Nodes as <c>HOST:PORT</c>; any one that answers will do.</param>
    public static async Task<ClusterSubmitter> ConnectAsync(IReadOnlyList<string> contacts, string systemName = "loom")
    {
        var paths = contacts.Select(c => ActorPath.Parse($"akka.tcp://{systemName}@{c}/system/receptionist")).ToList();
        var collection = new ServiceCollection();
        collection.AddSingleton<IHostApplicationLifetime, Lifetime>();
        collection.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        collection.AddAkka("loom-submit", akka => akka
            .AddHocon("""
                # Akka's own logger writes to stdout, which is the command's output (and --json's): the client says what went wrong itself.
                akka.loglevel = OFF
                akka.stdout-loglevel = OFF
                akka.log-dead-letters = off
                akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
                akka.remote.dot-netty.tcp.maximum-frame-size = 1MiB
                """, HoconAddMode.Prepend)
            .WithRemoting("127.0.0.1", 0)
            .WithLoomSerialization()
            .WithLoomClusterSerialization());
        var services = collection.BuildServiceProvider();
        var hosted = services.GetServices<IHostedService>().ToArray();
        foreach (var service in hosted)
            await service.StartAsync(CancellationToken.None).ConfigureAwait(false);
        var system = services.GetRequiredService<ActorSystem>();
        var client = system.ActorOf(ClusterClient.Props(ClusterClientSettings.Create(system).WithInitialContacts(paths.ToImmutableHashSet())), "client");
        return new ClusterSubmitter(services, hosted, client);
    }

    /// <summary>Sends what the cluster lacks of <paramref name="manifest"/>'s files (read from <paramref name="root"/>) and the manifest; returns the run's workspace.</summary>
    public async Task<string> UploadAsync(WorkspaceManifest manifest, string root, CancellationToken cancellationToken)
    {
        var manifestBytes = manifest.ToBytes();
        var manifestHash = BlobHash.Of(manifestBytes);
        var wanted = manifest.DistinctHashes().Append(manifestHash).Distinct(StringComparer.Ordinal).ToList();
        var answer = await AskAsync(new ClusterProtocol.FindMissingBlobs(wanted), cancellationToken).ConfigureAwait(false);
        if (answer is ClusterProtocol.BlobStored { Error: { } refusal })
            throw new InvalidOperationException(refusal);
        var missing = ((ClusterProtocol.BlobsMissing)answer).Hashes.ToHashSet(StringComparer.Ordinal);
        foreach (var file in manifest.Files.Where(f => missing.Remove(f.Hash)))
            await SendBlobAsync(file.Hash, await File.ReadAllBytesAsync(Path.Combine(root, file.Path), cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        if (missing.Remove(manifestHash))
            await SendBlobAsync(manifestHash, manifestBytes, cancellationToken).ConfigureAwait(false);
        return RunWorkspaces.ManifestPrefix + manifestHash;
    }

    private async Task SendBlobAsync(string hash, byte[] content, CancellationToken cancellationToken)
    {
        if (BlobHash.Of(content) != hash)
            throw new IOException($"a file changed while it was being sent (content {hash[..12]}); run again");
        // Every chunk but the last is told; the last is asked, and its answer covers the whole blob (chunks travel in order).
        for (long offset = 0; offset + BlobUpload.ChunkBytes < content.Length; offset += BlobUpload.ChunkBytes)
            Client.Tell(new ClusterClient.Send(LoomClusterHostingExtensions.CoordinatorProxyPath,
                new ClusterProtocol.BlobChunk(hash, offset, content.Length, content[(int)offset..(int)(offset + BlobUpload.ChunkBytes)])));
        var last = content.Length == 0 ? 0 : (content.Length - 1) / BlobUpload.ChunkBytes * BlobUpload.ChunkBytes;
        var stored = (ClusterProtocol.BlobStored)await AskAsync(new ClusterProtocol.BlobChunk(hash, last, content.Length, content[last..]), cancellationToken).ConfigureAwait(false);
        if (stored.Error is { } error)
            throw new IOException($"the cluster did not store a file ({hash[..12]}): {error}");
    }

    private Task<object> AskAsync(ILoomClusterMessage message, CancellationToken cancellationToken) =>
        Client.Ask<object>(new ClusterClient.Send(LoomClusterHostingExtensions.CoordinatorProxyPath, message), AskTimeout, cancellationToken);

    /// <summary>Submits the run and follows it: its notifications, ending with <see cref="RunEvents.RunFinished"/> or <see cref="LoomProtocol.RunRejected"/>.</summary>
    public ChannelReader<IRunNotification> Follow(ClusterProtocol.SubmitRun submit)
    {
        var channel = Channel.CreateUnbounded<IRunNotification>(new UnboundedChannelOptions { SingleReader = true });
        System.ActorOf(RunFollower.Props(Client, submit, channel.Writer));
        return channel.Reader;
    }

    /// <summary>Submits the run without following it: returns once the coordinator has it.</summary>
    public async Task SubmitDetachedAsync(ClusterProtocol.SubmitRun submit, CancellationToken cancellationToken)
    {
        var answer = await AskAsync(submit with { Follow = false }, cancellationToken).ConfigureAwait(false);
        if (answer is LoomProtocol.RunRejected rejected)
            throw new InvalidOperationException(string.Join(Environment.NewLine, rejected.Errors));
    }

    public void Cancel(string runId, string reason) =>
        Client.Tell(new ClusterClient.Send(LoomClusterHostingExtensions.CoordinatorProxyPath, new ClusterProtocol.CancelRun(runId, reason)));

    public async ValueTask DisposeAsync()
    {
        for (var i = hosted.Count - 1; i >= 0; i--)
            await hosted[i].StopAsync(CancellationToken.None).ConfigureAwait(false);
        await services.DisposeAsync().ConfigureAwait(false);
    }

    private sealed class Lifetime : IHostApplicationLifetime
    {
        public CancellationToken ApplicationStarted => CancellationToken.None;
        public CancellationToken ApplicationStopping => CancellationToken.None;
        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication()
        {
        }
    }
}

/// <summary>
/// Submits a run and passes its notifications on; every couple of seconds tells the coordinator it still follows (which
/// also finds the coordinator again after a hand-over, and keeps the client's tunnel open while the run is silent).
/// </summary>
internal sealed class RunFollower : ReceiveActor, IWithTimers
{
    private static readonly TimeSpan FollowEvery = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan LostAfter = TimeSpan.FromSeconds(120);
    private readonly IActorRef client;
    private readonly ClusterProtocol.SubmitRun submit;
    private readonly ChannelWriter<IRunNotification> notifications;
    private DateTimeOffset lastHeard = DateTimeOffset.UtcNow;

    public RunFollower(IActorRef client, ClusterProtocol.SubmitRun submit, ChannelWriter<IRunNotification> notifications)
    {
        this.client = client;
        this.submit = submit;
        this.notifications = notifications;
        Receive<IRunNotification>(notification =>
        {
            lastHeard = DateTimeOffset.UtcNow;
            notifications.TryWrite(notification);
            if (notification is RunEvents.RunFinished or LoomProtocol.RunRejected)
                End();
        });
        Receive<ClusterProtocol.Following>(following =>
        {
            lastHeard = DateTimeOffset.UtcNow;
            // The run ended while this follower was not heard (a hand-over): its result is all there is to show.
            if (following.Finished is { } result)
            {
                notifications.TryWrite(new RunEvents.RunFinished(result, following.Duration ?? TimeSpan.Zero, DateTimeOffset.UtcNow));
                End();
            }
        });
        Receive<FollowTick>(_ =>
        {
            if (DateTimeOffset.UtcNow - lastHeard > LostAfter)
            {
                notifications.TryWrite(new LoomProtocol.RunRejected(submit.RunId, [$"no word from the cluster about run {submit.RunId} for {LostAfter.TotalSeconds:0} s; it may still be going on"]));
                End();
                return;
            }
            client.Tell(new ClusterClient.Send(LoomClusterHostingExtensions.CoordinatorProxyPath, new ClusterProtocol.FollowRun(submit.RunId)));
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef client, ClusterProtocol.SubmitRun submit, ChannelWriter<IRunNotification> notifications) =>
        ActorProps.Of(() => new RunFollower(client, submit, notifications));

    protected override void PreStart()
    {
        client.Tell(new ClusterClient.Send(LoomClusterHostingExtensions.CoordinatorProxyPath, submit with { Follow = true }));
        Timers.StartPeriodicTimer(FollowTick.Instance, FollowTick.Instance, FollowEvery);
    }

    private void End()
    {
        notifications.TryComplete();
        Context.Stop(Self);
    }

    private sealed class FollowTick
    {
        public static readonly FollowTick Instance = new();
    }
}
