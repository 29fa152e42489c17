using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Loom.Actors;
using Loom.Actors.Protocol;
using Loom.Cluster.Admin;
using Loom.Cluster.Hosting;
using Loom.Cluster.Protocol;
using Loom.Cluster.Runners;
using Loom.Core.Model;

namespace Loom.Cluster.Coordination;

/// <summary>
/// Places every run's jobs on the cluster's nodes (a child of the run coordinator singleton, so one for the cluster):
/// follows membership, keeps a <see cref="DispatchState"/>, and starts each placed attempt as a runner entity on its
/// node's shard. When a node is removed, the schedulers of the jobs it ran are told (<see cref="SchedulerProtocol.RunnerLost"/>):
/// they run them again, as new attempts, elsewhere.
/// </summary>
public sealed class Dispatcher : ReceiveActor, IWithTimers
{
    private static readonly TimeSpan RefusedRetry = TimeSpan.FromSeconds(1);

    /// <summary>How often placed tries are asked after (see <see cref="ClusterProtocol.CheckRunner"/>); a lost one runs again within three times this.</summary>
    private static readonly TimeSpan CheckEvery = TimeSpan.FromSeconds(5);
    private readonly DispatchState state = new();
    private readonly IActorRef region;
    private readonly ILoggingAdapter log = Context.GetLogger();
    private readonly Akka.Cluster.Cluster cluster = Akka.Cluster.Cluster.Get(Context.System);
    private readonly HashSet<IActorRef> schedulers = [];

    public Dispatcher(IActorRef region)
    {
        this.region = region;
        Receive<ClusterEvent.MemberUp>(up => NodeUp(up.Member));
        Receive<ClusterEvent.MemberWeaklyUp>(_ => { });
        Receive<ClusterEvent.MemberJoined>(_ => { });
        Receive<ClusterEvent.MemberLeft>(left => Leaving(left.Member));
        Receive<ClusterEvent.MemberExited>(exited => Leaving(exited.Member));
        // Down is final: the node is removed at the leader's next tick and (if alive on the other side of a partition)
        // downs itself at about the same time. Its jobs are re-run now rather than half a second later.
        Receive<ClusterEvent.MemberDowned>(downed => NodeLost(downed.Member, "was downed"));
        Receive<ClusterEvent.MemberRemoved>(removed => NodeLost(removed.Member, "left the cluster"));
        Receive<ClusterEvent.UnreachableMember>(unreachable => Leaving(unreachable.Member));
        Receive<ClusterEvent.ReachableMember>(reachable => NodeUp(reachable.Member));
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<RunnerProtocol.Dispatch>(Dispatch);
        Receive<RunnerProtocol.Released>(released =>
        {
            if (state.Release(released.RunId, released.UnitId, released.Attempt))
                PlaceWaiting();
        });
        Receive<RunnerProtocol.Withdraw>(Withdraw);
        Receive<ClusterProtocol.RunnerRefused>(Refused);
        Receive<PlaceAgain>(_ => PlaceWaiting());
        Receive<CheckRunners>(_ =>
        {
            foreach (var (placement, node) in state.ToCheck(DateTimeOffset.UtcNow, CheckEvery))
                region.Tell(new ClusterProtocol.CheckRunner(node.ShardId, placement.EntityId, placement.RunId, placement.UnitId, placement.Attempt));
        });
        Receive<ClusterProtocol.RunnerUnknown>(unknown =>
        {
            var node = state.NodeOf(unknown.RunId, unknown.UnitId, unknown.Attempt);
            if (state.RunnerUnknown(unknown.RunId, unknown.UnitId, unknown.Attempt, unknown.EntityId) is not { } lost)
                return;
            log.Warning("{0} of run {1} is unknown to its node {2}: its start or its last report was lost; it runs again", unknown.UnitId, unknown.RunId, node?.Address);
            lost.Dispatch.Scheduler.Tell(new SchedulerProtocol.RunnerLost(unknown.UnitId, unknown.Attempt, $"its node {node?.Address} no longer knows it (its start or its last report was lost on the way)"));
            PlaceWaiting();
        });
        Receive<Terminated>(t =>
        {
            // A run's scheduler stopped (its run is over, or it failed): nothing of it waits or holds a slot.
            schedulers.Remove(t.ActorRef);
            if (state.DropRun(t.ActorRef) > 0)
                PlaceWaiting();
        });
        Receive<GetPlacements>(_ => Sender.Tell(new Placements(
            state.Nodes.Select(n => new NodePlacements(n.Address, n.Labels.Order(StringComparer.Ordinal).ToList(), n.Capacity, n.Used, n.Accepting)).ToList(),
            state.Waiting.Count)));
        Receive<DescribeJobs>(describe => Sender.Tell(new AdminProtocol.SchedulerState(describe.Node, describe.Runs,
            state.Placed.Select(p => Describe(p.Placement, p.Node.Address)).OrderBy(j => j.RunId, StringComparer.Ordinal).ThenBy(j => j.JobId, StringComparer.Ordinal).ToList(),
            state.Waiting.Select(p => Describe(p, null)).ToList())));
    }

    private static AdminProtocol.JobPlacement Describe(Placement placement, string? node) =>
        new(placement.RunId, placement.UnitId, placement.Attempt, node, placement.Dispatch.Job.RunsOn, placement.Tries, placement.EntityId);

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef region) => ActorProps.Of(() => new Dispatcher(region));

    protected override void PreStart()
    {
        Timers.StartPeriodicTimer(CheckRunners.Instance, CheckRunners.Instance, CheckEvery);
        cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
    }

    protected override void PostStop() => cluster.Unsubscribe(Self);

    private void NodeUp(Member member)
    {
        if (member.Status != MemberStatus.Up || !member.HasRole(NodeRoles.Node))
            return;
        var shardId = NodeShards.ShardIdOf(member.UniqueAddress);
        var known = state.Nodes.FirstOrDefault(n => n.ShardId == shardId);
        if (known is not null)
            known.Accepting = true;
        else
            state.NodeUp(new NodeSlots(shardId, member.Address.ToString(), NodeRoles.LabelsOf(member.Roles), NodeRoles.CapacityOf(member.Roles)));
        PlaceWaiting();
    }

    private void Leaving(Member member) => state.NodeLeaving(NodeShards.ShardIdOf(member.UniqueAddress));

    private void NodeLost(Member member, string how)
    {
        var shardId = NodeShards.ShardIdOf(member.UniqueAddress);
        foreach (var lost in state.NodeRemoved(shardId))
            lost.Dispatch.Scheduler.Tell(new SchedulerProtocol.RunnerLost(lost.UnitId, lost.Attempt, $"its node {member.Address} {how}"));
        FailUnservable();
        PlaceWaiting();
    }

    private void Dispatch(RunnerProtocol.Dispatch dispatch)
    {
        if (schedulers.Add(dispatch.Scheduler))
            Context.Watch(dispatch.Scheduler);
        if (!state.AnyNodeServes(dispatch.Job.RunsOn))
        {
            dispatch.Scheduler.Tell(Unservable(dispatch));
            return;
        }
        state.Enqueue(new Placement(dispatch));
        PlaceWaiting();
    }

    private SchedulerProtocol.JobFinished Unservable(RunnerProtocol.Dispatch dispatch)
    {
        var nodes = state.Nodes.Where(n => n.Accepting).ToList();
        var why = $"no node of the cluster serves runs-on [{string.Join(", ", dispatch.Job.RunsOn)}]; nodes: "
            + (nodes.Count == 0 ? "none" : string.Join(", ", nodes));
        return new SchedulerProtocol.JobFinished(dispatch.Job.Id, Result.Failure, false, why, TimeSpan.Zero);
    }

    private void FailUnservable()
    {
        foreach (var placement in state.TakeUnservable())
            placement.Dispatch.Scheduler.Tell(Unservable(placement.Dispatch));
    }

    private void Withdraw(RunnerProtocol.Withdraw withdraw)
    {
        if (state.Withdraw(withdraw.RunId, withdraw.UnitId, withdraw.Attempt) is { } waiting)
        {
            waiting.Dispatch.Scheduler.Tell(new SchedulerProtocol.JobFinished(withdraw.UnitId, Result.Cancelled, false, withdraw.Reason, TimeSpan.Zero));
            return;
        }
        if (state.PlacedAs(withdraw.RunId, withdraw.UnitId, withdraw.Attempt) is var (placement, node))
            region.Tell(new ClusterProtocol.CancelRunner(node.ShardId, placement.EntityId, withdraw.Reason));
    }

    private void Refused(ClusterProtocol.RunnerRefused refused)
    {
        var node = state.NodeOf(refused.RunId, refused.UnitId, refused.Attempt);
        if (state.Unplace(refused.RunId, refused.UnitId, refused.Attempt) is not { } placement)
            return;
        log.Info("{0} of run {1} refused by {2}: {3}; placing it again", refused.UnitId, refused.RunId, node?.Address, refused.Reason);
        if (refused.NodeClosed && node is not null)
            state.NodeLeaving(node.ShardId);
        // Not at once: a node that refused because it is full may be the only one that serves the job.
        state.Requeue(placement, DateTimeOffset.UtcNow + RefusedRetry);
        FailUnservable();
        PlaceWaiting();
    }

    private void PlaceWaiting()
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var (placement, node) in state.PlaceWaiting(now))
        {
            var dispatch = placement.Dispatch;
            region.Tell(new ClusterProtocol.StartRunner(node.ShardId, placement.EntityId, dispatch.RunId, dispatch.Workspace, dispatch.Job, dispatch.Scheduler, Self));
        }
        // A refused try that must still wait is placed when its time comes, whatever else happens (or does not) meanwhile.
        if (state.NextRetryAt(now) is { } due)
            Timers.StartSingleTimer(PlaceAgain.Instance, PlaceAgain.Instance, due - now + TimeSpan.FromMilliseconds(1));
    }

    private sealed class PlaceAgain
    {
        public static readonly PlaceAgain Instance = new();
    }

    private sealed class CheckRunners
    {
        public static readonly CheckRunners Instance = new();
    }

    /// <summary>From the coordinator: answer the sender with <see cref="AdminProtocol.SchedulerState"/> (the coordinator's node and runs, and every job placed or waiting).</summary>
    public sealed record DescribeJobs(string Node, IReadOnlyList<string> Runs);

    /// <summary>What the dispatcher knows of each node now (for tests, and <c>loom ctl</c>).</summary>
    public sealed record GetPlacements : ILoomClusterMessage
    {
        public static readonly GetPlacements Instance = new();
    }

    public sealed record Placements(IReadOnlyList<NodePlacements> Nodes, int Waiting) : ILoomClusterMessage;

    public sealed record NodePlacements(string Address, IReadOnlyList<string> Labels, int Capacity, int Running, bool Accepting);
}
