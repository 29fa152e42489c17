using Akka.Actor;
using Akka.Event;
using Loom.Actors;
using Loom.Actors.Hosting;
using Loom.Actors.Persistence;
using Loom.Actors.Protocol;
using Loom.Cluster.Admin;
using Loom.Cluster.Protocol;
using Loom.Core.Model;
using Loom.Core.Parsing;

namespace Loom.Cluster.Coordination;

/// <summary>
/// The cluster's one owner of runs (a cluster singleton): Loom's guardian with a run scheduler per run, and the
/// <see cref="Dispatcher"/> that places their jobs on nodes. Submitters reach it through the cluster client
/// receptionist; each run's notifications go to its submitter through a <see cref="RunRelay"/>. When it starts (on
/// the oldest node, or on the next one after a hand-over) it recovers every run the journal holds unfinished and
/// goes on with it. It sees every run of the cluster, so it keeps the runs of one workflow <c>concurrency</c> group
/// apart (<see cref="ConcurrencyGroups"/>), whoever submitted them.
/// </summary>
public sealed class RunCoordinator : ReceiveActor
{
    private readonly ILoggingAdapter log = Context.GetLogger();
    private readonly LoomOptions options;
    private readonly IActorRef region;
    private readonly Dictionary<string, IActorRef> relays = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ClusterProtocol.Following> finished = new(StringComparer.Ordinal);
    private readonly ConcurrencyGroups groups;
    private IActorRef guardian = ActorRefs.Nobody;
    private IActorRef dispatcher = ActorRefs.Nobody;

    private readonly Props? blobReceiver;
    private IActorRef blobs = ActorRefs.Nobody;

    /// <param name="blobReceiver">Where submitted files go; null when the cluster keeps none (no PostgreSQL).</param>
    public RunCoordinator(LoomOptions options, IActorRef region, Props? blobReceiver = null)
    {
        this.options = options;
        this.region = region;
        this.blobReceiver = blobReceiver;
        // Until the runs left unfinished are recovered, their groups are not known: new runs of a group wait for them.
        groups = new ConcurrencyGroups(recovering: options.Persistence.OwnQueryPluginId is not null);
        Receive<ClusterProtocol.FindMissingBlobs>(find =>
        {
            if (blobReceiver is null)
                Sender.Tell(new ClusterProtocol.BlobStored("", "this cluster keeps no files: start its nodes with --db"));
            else
                blobs.Forward(find);
        });
        Receive<ClusterProtocol.BlobChunk>(chunk => blobs.Forward(chunk));
        Receive<ClusterProtocol.SubmitRun>(Submit);
        Receive<ClusterProtocol.FollowRun>(Follow);
        Receive<ClusterProtocol.CancelRun>(cancel => guardian.Forward(new LoomProtocol.CancelRun(cancel.RunId, cancel.Reason)));
        Receive<RunRelay.Ended>(ended =>
        {
            finished[ended.RunId] = new ClusterProtocol.Following(ended.RunId, true, ended.Result, ended.Duration);
            // The run's scheduler goes (a node serves runs for months); its relay stops once its follower has everything.
            guardian.Tell(new WatchProtocol.StopFinishedRun(ended.RunId));
            Act(groups.Ended(ended.RunId));
        });
        Receive<RunRelay.Held>(held => Act(groups.Hold(held.RunId, held.Group, held.CancelInProgress)));
        Receive<Terminated>(t =>
        {
            foreach (var (runId, relay) in relays.Where(r => r.Value.Equals(t.ActorRef)).ToList())
                relays.Remove(runId);
        });
        Receive<Unfinished>(Recover);
        Receive<Status.Failure>(failure =>
        {
            log.Error(failure.Cause, "Runs left unfinished could not be read from the journal; they stay as they are");
            Act(groups.RecoveryDone());
        });
        Receive<LookedUp>(looked =>
        {
            // The journal was read while the run was submitted (again) here: an "unknown" from before would make its
            // follower submit it once more, and that submission be refused. The run's relay answers its next follow.
            if (!looked.Answer.Known && relays.ContainsKey(looked.Answer.RunId))
                return;
            looked.Follower.Tell(!looked.Answer.Known && finished.TryGetValue(looked.Answer.RunId, out var ended) ? ended : looked.Answer);
        });
        Receive<Dispatcher.GetPlacements>(get => dispatcher.Forward(get));
        Receive<AdminProtocol.GetScheduler>(_ => dispatcher.Forward(new Dispatcher.DescribeJobs(
            Akka.Cluster.Cluster.Get(Context.System).SelfAddress.ToString(), relays.Keys.Order(StringComparer.Ordinal).ToList())));
    }

    public static Props Props(LoomOptions options, IActorRef region, Props? blobReceiver = null) =>
        ActorProps.Of(() => new RunCoordinator(options, region, blobReceiver));

    protected override void PreStart()
    {
        dispatcher = Context.ActorOf(Dispatcher.Props(region), "dispatcher");
        guardian = Context.ActorOf(LoomGuardian.Props(options, dispatcher), "loom");
        if (blobReceiver is not null)
            blobs = Context.ActorOf(blobReceiver, "blobs");
        if (options.Persistence.OwnQueryPluginId is { } query)
            UnfinishedRunsAsync(new RunJournal(Context.System, query), options.Limits).PipeTo(Self);
    }

    private void Submit(ClusterProtocol.SubmitRun submit)
    {
        if (relays.ContainsKey(submit.RunId) || finished.ContainsKey(submit.RunId))
        {
            Sender.Tell(new LoomProtocol.RunRejected(submit.RunId, [$"run '{submit.RunId}' already exists"]));
            return;
        }
        var relay = StartRelay(submit.RunId, submit.Follow ? Sender : null);
        guardian.Tell(new LoomProtocol.SubmitRun(submit.RunId, submit.WorkflowPath, submit.DisplayPath, submit.Workspace, submit.Jobs, submit.MaxParallel, relay)
        {
            Contexts = submit.Contexts,
            WorkflowText = submit.WorkflowText,
            SkipUses = submit.SkipUses,
            NoCache = submit.NoCache,
            Carried = submit.Carried,
            // A run with a group starts when this coordinator releases it (RunRelay.Held).
            HoldForGroup = true,
        });
        if (!submit.Follow)
            Sender.Tell(new ClusterProtocol.Following(submit.RunId, true, null, null));
    }

    private void Act(IReadOnlyList<GroupAction> actions)
    {
        foreach (var action in actions)
        {
            switch (action)
            {
                case GroupAction.Release release:
                    guardian.Tell(new LoomProtocol.ReleaseRun(release.RunId));
                    break;
                case GroupAction.Wait wait when relays.TryGetValue(wait.RunId, out var relay):
                    relay.Tell(new LoomProtocol.RunWaiting(wait.RunId, wait.Group, wait.Holder, wait.Cancelling));
                    break;
                case GroupAction.Cancel cancel:
                    guardian.Tell(new LoomProtocol.CancelRun(cancel.RunId, cancel.Reason));
                    break;
            }
        }
    }

    private IActorRef StartRelay(string runId, IActorRef? follower)
    {
        var relay = Context.ActorOf(RunRelay.Props(runId, follower, Self), "relay-" + Uri.EscapeDataString(runId));
        Context.Watch(relay);
        relays[runId] = relay;
        return relay;
    }

    private void Follow(ClusterProtocol.FollowRun follow)
    {
        if (relays.TryGetValue(follow.RunId, out var relay))
        {
            relay.Forward(follow);
            return;
        }
        if (finished.TryGetValue(follow.RunId, out var answer))
        {
            Sender.Tell(answer);
            return;
        }
        // Finished before this coordinator started (a hand-over): the journal knows.
        var follower = Sender;
        var runId = follow.RunId;
        if (options.Persistence.OwnQueryPluginId is not { } query)
        {
            follower.Tell(new ClusterProtocol.Following(runId, false, null, null));
            return;
        }
        new RunJournal(Context.System, query).RunsAsync().PipeTo(Self,
            success: runs => runs.FirstOrDefault(r => r.RunId == runId) is { } run
                ? new LookedUp(follower, new ClusterProtocol.Following(runId, true, run.Result, run.Duration))
                : new LookedUp(follower, new ClusterProtocol.Following(runId, false, null, null)),
            failure: _ => new LookedUp(follower, new ClusterProtocol.Following(runId, false, null, null)));
    }

    private static async Task<Unfinished> UnfinishedRunsAsync(RunJournal journal, ParseLimits limits)
    {
        var runs = new List<RunEvents.RunDefined>();
        var ids = new List<string>();
        var runGroups = new List<string?>();
        foreach (var run in await journal.RunsAsync().ConfigureAwait(false))
        {
            if (run.Result is not null)
                continue;
            var events = await journal.EventsAsync(run.RunId).ConfigureAwait(false);
            if (events.OfType<RunEvents.RunDefined>().FirstOrDefault() is { } defined)
            {
                runs.Add(defined);
                ids.Add(run.RunId);
                runGroups.Add(ConcurrencyGroups.GroupOf(run.RunId, defined, limits));
            }
        }
        return new Unfinished(ids, runs, runGroups);
    }

    /// <summary>
    /// Runs the journal holds unfinished (their coordinator's node died) go on from where their journal ends, each holding its
    /// concurrency group again; then the runs held meanwhile are decided.
    /// </summary>
    private void Recover(Unfinished unfinished)
    {
        for (var i = 0; i < unfinished.RunIds.Count; i++)
        {
            var (runId, defined) = (unfinished.RunIds[i], unfinished.Definitions[i]);
            if (relays.ContainsKey(runId))
                continue;
            log.Info("Run {0} was not finished: going on with it", runId);
            if (unfinished.Groups[i] is { } group)
                groups.Recovered(runId, group);
            var relay = StartRelay(runId, null);
            guardian.Tell(new LoomProtocol.SubmitRun(runId, defined.WorkflowPath, defined.DisplayPath, defined.Workspace ?? "", defined.Jobs, defined.MaxParallel, relay)
            {
                // Secrets are never journaled: a run that goes on after a hand-over has none.
                Contexts = defined.Contexts,
                WorkflowText = defined.WorkflowText,
                SkipUses = defined.SkipUses,
                NoCache = defined.NoCache,
                Carried = defined.Carried,
                Resume = true,
            });
        }
        Act(groups.RecoveryDone());
    }

    /// <param name="Groups">Each run's workflow concurrency group; null for none.</param>
    private sealed record Unfinished(IReadOnlyList<string> RunIds, IReadOnlyList<RunEvents.RunDefined> Definitions, IReadOnlyList<string?> Groups);

    private sealed record LookedUp(IActorRef Follower, ClusterProtocol.Following Answer);
}

/// <summary>
/// One run's subscriber on the coordinator: numbers its notifications (<see cref="ClusterProtocol.RunNotice"/>) and passes
/// them to whoever follows it now (the submitter, through its cluster client tunnel; a new tunnel after a hand-over or
/// when the submitter's contact node died). It keeps the latest <see cref="MaxKept"/>: a new follower, or one that saw a
/// gap, gets again what it lacks, so remoting's at-most-once delivery costs the live view nothing. A follower that stops
/// sending <see cref="ClusterProtocol.FollowRun"/> is dropped; the run goes on without it. After the run's end the relay
/// stays until its follower has everything (or stops following), then stops.
/// </summary>
public sealed class RunRelay : ReceiveActor, IWithTimers
{
    private static readonly TimeSpan FollowerPatience = TimeSpan.FromSeconds(30);
    public const int MaxKept = 10_000;
    private readonly Queue<ClusterProtocol.RunNotice> kept = new();
    private readonly string runId;
    private readonly string relayId = Guid.NewGuid().ToString("N")[..12];
    private readonly IActorRef coordinator;
    private IActorRef? follower;
    private DateTimeOffset lastHeard = DateTimeOffset.UtcNow;
    private long sent;
    private bool ended;

    public RunRelay(string runId, IActorRef? follower, IActorRef coordinator)
    {
        this.runId = runId;
        this.follower = follower;
        this.coordinator = coordinator;
        Receive<ClusterProtocol.FollowRun>(Follow);
        Receive<CheckFollower>(_ =>
        {
            if (DateTimeOffset.UtcNow - lastHeard <= FollowerPatience)
                return;
            follower = null;
            if (ended)
                Context.Stop(Self);
        });
        Receive<IRunNotification>(Send);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string runId, IActorRef? follower, IActorRef coordinator) => ActorProps.Of(() => new RunRelay(runId, follower, coordinator));

    protected override void PreStart() => Timers.StartPeriodicTimer(CheckFollower.Instance, CheckFollower.Instance, FollowerPatience);

    private void Send(IRunNotification notification)
    {
        var notice = new ClusterProtocol.RunNotice(runId, relayId, ++sent, ClusterProtocol.Serialized.Of(Context.System.Serialization, notification));
        kept.Enqueue(notice);
        if (kept.Count > MaxKept)
            kept.Dequeue();
        follower?.Tell(notice);
        switch (notification)
        {
            case RunEvents.RunFinished done:
                End(new Ended(runId, done.Result, done.Duration));
                break;
            case LoomProtocol.RunRejected:
                End(new Ended(runId, null, null));
                break;
            case LoomProtocol.RunHeld held:
                coordinator.Tell(new Held(runId, held.Group, held.CancelInProgress));
                break;
        }
    }

    private void End(Ended end)
    {
        ended = true;
        coordinator.Tell(end);
        if (follower is null)
            Context.Stop(Self);
    }

    private void Follow(ClusterProtocol.FollowRun follow)
    {
        var after = follow.Relay == relayId ? follow.After : 0;
        if (ended && after >= sent)
        {
            // The follower has everything, the end included.
            Context.Stop(Self);
            return;
        }
        lastHeard = DateTimeOffset.UtcNow;
        var newFollower = !Sender.Equals(follower);
        follower = Sender;
        if (newFollower || follow.Replay)
            Replay(after);
        Sender.Tell(new ClusterProtocol.Following(runId, true, null, null) { Relay = relayId, Sent = sent });
    }

    private void Replay(long after)
    {
        if (kept.TryPeek(out var oldest) && oldest.Seq > after + 1)
            follower.Tell(new ClusterProtocol.NoticesDropped(runId, relayId, oldest.Seq - 1));
        foreach (var notice in kept)
            if (notice.Seq > after)
                follower.Tell(notice);
    }

    /// <param name="Result">Null for a run that was refused (it never started).</param>
    public sealed record Ended(string RunId, Result? Result, TimeSpan? Duration);

    /// <summary>The run waits for the coordinator to release it in its concurrency group.</summary>
    public sealed record Held(string RunId, string Group, bool CancelInProgress);

    private sealed class CheckFollower
    {
        public static readonly CheckFollower Instance = new();
    }
}
