using Akka.Actor;
using Loom.Actors;
using Loom.Actors.Client;
using Loom.Actors.Hosting;
using Loom.Actors.Protocol;
using Loom.Cluster.Protocol;
using Loom.Cluster.Runners;
using Loom.Cluster.Storage;
using Loom.Core.Workspaces;

namespace Loom.Cluster.Client;

/// <summary>
/// The <see cref="ILoomClient"/> of a clustered host (<c>WithLoomCluster</c>): runs go to the cluster's run coordinator
/// through this node's singleton proxy, and are followed as <c>loom run --cluster</c> follows them. The workflow travels as
/// text; the files of its folder do not (its steps run in an empty folder on the nodes). The history is the cluster's
/// journal (PostgreSQL); step logs are in the cluster's store, not in files here.
/// </summary>
internal sealed class ClusterLoomClient(ActorSystem system, IActorRef coordinator, LoomOptions options) : LoomClientBase(system, options)
{
    protected override bool SendsFilesByPath => false;

    protected override string? LogsFolderOf(string runId) => null;

    /// <summary>The coordinator keeps the runs of one concurrency group apart, whoever submitted them.</summary>
    protected override bool KeepsGroups => false;

    /// <summary>The coordinator goes on with every unfinished run by itself when it starts.</summary>
    protected override string? ResumeRefusal => "a cluster's coordinator goes on with unfinished runs by itself";

    /// <summary>
    /// A run of a file takes its folder's files along, as <c>loom run --cluster</c> does: only what the cluster lacks is sent
    /// (<see cref="ClusterProtocol.FindMissingBlobs"/>, then chunks). A cluster that keeps no files (its nodes have no
    /// <c>--db</c>) gets the run without them, with a warning.
    /// </summary>
    protected override async Task<Submission> PrepareAsync(Submission submission, CancellationToken cancellationToken)
    {
        if (!submission.OfFile)
            return submission;
        WorkspaceManifest manifest;
        try
        {
            manifest = WorkspaceScanner.Scan(submission.Workspace, WorkspaceScanner.DefaultMaxTotalBytes, cancellationToken);
        }
        catch (WorkspaceTooLargeException e)
        {
            throw new InvalidOperationException(e.Message, e);
        }
        var manifestBytes = manifest.ToBytes();
        var manifestHash = BlobHash.Of(manifestBytes);
        var wanted = manifest.DistinctHashes().Append(manifestHash).Distinct(StringComparer.Ordinal).ToList();
        var answer = await AskAsync(new ClusterProtocol.FindMissingBlobs(wanted), cancellationToken).ConfigureAwait(false);
        if (answer is ClusterProtocol.BlobStored { Error: { } refusal })
            return submission with { Warnings = [$"the run's files were not sent ({refusal}): its steps start in an empty folder"] };
        var missing = ((ClusterProtocol.BlobsMissing)answer).Hashes.ToHashSet(StringComparer.Ordinal);
        foreach (var file in manifest.Files.Where(f => missing.Remove(f.Hash)))
            await SendBlobAsync(file.Hash, await File.ReadAllBytesAsync(Path.Combine(submission.Workspace, file.Path), cancellationToken).ConfigureAwait(false), cancellationToken)
                .ConfigureAwait(false);
        if (missing.Remove(manifestHash))
            await SendBlobAsync(manifestHash, manifestBytes, cancellationToken).ConfigureAwait(false);
        return submission with { RemoteWorkspace = RunWorkspaces.ManifestPrefix + manifestHash };
    }

    private async Task SendBlobAsync(string hash, byte[] content, CancellationToken cancellationToken)
    {
        if (BlobHash.Of(content) != hash)
            throw new IOException($"a file changed while it was being sent (content {hash[..12]}); submit again");
        // Every chunk but the last is told; the last is asked, and its answer covers the whole blob (chunks travel in order).
        for (long offset = 0; offset + BlobUpload.ChunkBytes < content.Length; offset += BlobUpload.ChunkBytes)
            coordinator.Tell(new ClusterProtocol.BlobChunk(hash, offset, content.Length, content[(int)offset..(int)(offset + BlobUpload.ChunkBytes)]));
        var last = content.Length == 0 ? 0 : (content.Length - 1) / BlobUpload.ChunkBytes * BlobUpload.ChunkBytes;
        var stored = (ClusterProtocol.BlobStored)await AskAsync(new ClusterProtocol.BlobChunk(hash, last, content.Length, content[last..]), cancellationToken).ConfigureAwait(false);
        if (stored.Error is { } error)
            throw new IOException($"the cluster did not store a file ({hash[..12]}): {error}");
    }

    private Task<object> AskAsync(ILoomClusterMessage message, CancellationToken cancellationToken) =>
        coordinator.Ask<object>(message, ClusterSubmitter.AskTimeout, cancellationToken);

    protected override void Send(Submission submission, IActorRef feed)
    {
        var request = submission.Request;
        var submit = new ClusterProtocol.SubmitRun(submission.RunId, submission.Text!, submission.WorkflowPath, submission.DisplayPath, submission.RemoteWorkspace ?? "", request.Jobs,
            request.MaxParallel, submission.Contexts, request.SkipUses, request.NoCache, Follow: true);
        System.ActorOf(ClusterRunFollower.Props(coordinator, submit, feed));
    }

    protected override void Cancel(string runId, string reason) => coordinator.Tell(new ClusterProtocol.CancelRun(runId, reason));
}

/// <summary>
/// Submits a run to the coordinator and passes its notifications to the run's feed; every couple of seconds tells the
/// coordinator it still follows (which also finds the coordinator again after a hand-over, and submits a run that waited for
/// its concurrency group again when the new coordinator does not know it), as <c>RunFollower</c> does through a ClusterClient.
/// </summary>
internal sealed class ClusterRunFollower : ReceiveActor, IWithTimers
{
    private static readonly TimeSpan FollowEvery = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan LostAfter = TimeSpan.FromSeconds(120);
    private readonly IActorRef coordinator;
    private readonly ClusterProtocol.SubmitRun submit;
    private readonly IActorRef feed;
    private readonly NoticeSequencer sequencer;
    private DateTimeOffset lastHeard = DateTimeOffset.UtcNow;
    private bool held;

    public ClusterRunFollower(IActorRef coordinator, ClusterProtocol.SubmitRun submit, IActorRef feed)
    {
        this.coordinator = coordinator;
        this.submit = submit;
        this.feed = feed;
        sequencer = new NoticeSequencer(serialized => (IRunNotification)serialized.Open(Context.System.Serialization));
        Receive<ClusterProtocol.RunNotice>(notice =>
        {
            lastHeard = DateTimeOffset.UtcNow;
            Deliver(sequencer.Accept(notice));
            if (sequencer.ShouldAskAgain())
                Follow(replay: true);
        });
        Receive<ClusterProtocol.NoticesDropped>(dropped => Deliver(sequencer.Skip(dropped)));
        // The coordinator's own answers (a run id already taken) come as they are.
        Receive<IRunNotification>(notification => Deliver([notification]));
        Receive<ClusterProtocol.Following>(following =>
        {
            lastHeard = DateTimeOffset.UtcNow;
            // Held runs are not journaled: a new coordinator knows nothing of this one, which waits again there.
            if (!following.Known && held)
            {
                held = false;
                coordinator.Tell(submit);
                return;
            }
            // The run ended while this follower was not heard (a hand-over): its result is all there is to tell.
            if (following.Finished is { } result)
            {
                feed.Tell(new RunEvents.RunFinished(result, following.Duration ?? TimeSpan.Zero, DateTimeOffset.UtcNow));
                Context.Stop(Self);
            }
            else if (sequencer.ShouldAskAgain(following))
                Follow(replay: true);
        });
        Receive<FollowTick>(_ =>
        {
            if (DateTimeOffset.UtcNow - lastHeard > LostAfter)
            {
                feed.Tell(new LoomProtocol.RunRejected(submit.RunId, [$"no word from the cluster about run {submit.RunId} for {LostAfter.TotalSeconds:0} s; it may still be going on"]));
                Context.Stop(Self);
                return;
            }
            Follow(replay: false);
        });
    }

    private void Deliver(IReadOnlyList<IRunNotification> ready)
    {
        foreach (var notification in ready)
        {
            if (notification is LoomProtocol.RunHeld)
                held = true;
            else if (notification is LoomProtocol.RunAccepted)
                held = false;
            feed.Tell(notification);
            if (notification is RunEvents.RunFinished or LoomProtocol.RunRejected)
            {
                // Tells the relay this follower has everything, so it need not keep the run's notices any longer.
                Follow(replay: false);
                Context.Stop(Self);
                return;
            }
        }
    }

    private void Follow(bool replay) =>
        coordinator.Tell(new ClusterProtocol.FollowRun(submit.RunId) { Relay = sequencer.Relay, After = sequencer.Last, Replay = replay });

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef coordinator, ClusterProtocol.SubmitRun submit, IActorRef feed) =>
        ActorProps.Of(() => new ClusterRunFollower(coordinator, submit, feed));

    protected override void PreStart()
    {
        coordinator.Tell(submit);
        Timers.StartPeriodicTimer(FollowTick.Instance, FollowTick.Instance, FollowEvery);
    }

    private sealed class FollowTick
    {
        public static readonly FollowTick Instance = new();
    }
}
