using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Event;
using Loom.Actors;
using Loom.Actors.Persistence;
using Loom.Actors.Protocol;
using Loom.Actors.Scheduling;
using Loom.Cluster.Coordination;
using Loom.Cluster.Hosting;
using Loom.Cluster.Protocol;
using Loom.Cluster.Storage;
using Loom.Core.Parsing;
using static Loom.Cluster.Admin.AdminProtocol;

namespace Loom.Cluster.Admin;

/// <summary>What an admin actor reads and steers: this node's cluster, the run coordinator, the run history and step logs.</summary>
/// <param name="Journal">The run history; null on a node that keeps none it can read.</param>
/// <param name="StepLogs">The cluster's step logs (with <c>--db</c>); null when they are in files on the node that ran the run.</param>
public sealed record AdminResources(
    ClusterSecret? Secret,
    IActorRef Coordinator,
    IActorRef RunnerRegion,
    RunJournal? Journal,
    PostgresStepLogStore? StepLogs,
    RecentLogs? RecentLogs,
    ParseLimits Limits);

/// <summary>
/// The admin actor on every node (<see cref="AdminProtocol.AdminPath"/>, registered with the cluster client receptionist):
/// answers <c>loom ctl</c>. Every request is checked against the cluster secret first, when the node has one; a refusal
/// is logged and carries no data. Queries that concern every node (shards, actors, logs) are asked of each member's admin.
/// </summary>
public sealed class LoomAdmin : ReceiveActor, IWithTimers
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan TailSilence = TimeSpan.FromSeconds(30);
    private readonly ILoggingAdapter log = Context.GetLogger();
    private readonly Akka.Cluster.Cluster cluster = Akka.Cluster.Cluster.Get(Context.System);

    // Captured here: the queries' continuations run off the actor's thread, where Context is not available.
    private readonly ActorSystem system = Context.System;
    private readonly AdminResources resources;
    private readonly Dictionary<IActorRef, DateTimeOffset> tails = [];

    public LoomAdmin(AdminResources resources)
    {
        this.resources = resources;
        Receive<IAdminRequest>(request => Accepted(request), Handle);
        Receive<IAdminRequest>(Refuse);
        Receive<ClusterEvent.IClusterDomainEvent>(Publish);
        Receive<ClusterEvent.CurrentClusterState>(_ => { });
        Receive<DropSilentTails>(_ =>
        {
            foreach (var (tail, lastHeard) in tails.ToList())
                if (DateTimeOffset.UtcNow - lastHeard > TailSilence)
                    tails.Remove(tail);
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(AdminResources resources) => ActorProps.Of(() => new LoomAdmin(resources));

    protected override void PreStart()
    {
        cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent), typeof(ClusterEvent.LeaderChanged));
        Timers.StartPeriodicTimer(DropSilentTails.Instance, DropSilentTails.Instance, TailSilence);
    }

    protected override void PostStop() => cluster.Unsubscribe(Self);

    private bool Accepted(IAdminRequest request) => resources.Secret is not { } secret || secret.Accepts(request.Secret);

    private void Refuse(IAdminRequest request)
    {
        log.Warning("Refused {0} from {1}: it carried {2}", request.GetType().Name, SecretCheck.ClientOf(Sender),
            request.Secret is null ? "no cluster secret" : "a wrong cluster secret");
        Sender.Tell(new Refused(request.Secret is null
            ? "this cluster needs its secret: give --cluster-secret-file"
            : "the cluster secret does not match"));
    }

    private void Handle(IAdminRequest request)
    {
        var sender = Sender;
        switch (request)
        {
            case GetMembers:
                Answer(MembersAsync(), sender);
                break;
            case LeaveMember leave:
                Steer(leave.Address, "leave", address => cluster.Leave(address), sender);
                break;
            case DownMember down:
                Steer(down.Address, "down", address => cluster.Down(address), sender);
                break;
            case TailMembers:
                if (!tails.ContainsKey(sender))
                    foreach (var member in cluster.State.Members)
                        sender.Tell(Changed(member, "member"));
                tails[sender] = DateTimeOffset.UtcNow;
                break;
            case StopTail:
                tails.Remove(sender);
                break;
            case GetScheduler get:
                Answer(resources.Coordinator.Ask<object>(get, AskTimeout).ContinueWith(Coordinator, TaskScheduler.Default), sender);
                break;
            case GetShards:
                Answer(GatherAsync(new AskNode("shards", 0, 0, null, resources.Secret?.Text), null,
                    (answers, silent) => new Shards(answers.OfType<AdminProtocol.NodeShards>().ToList(), silent)), sender);
                break;
            case GetActors actors:
                Answer(GatherAsync(new AskNode("actors", actors.Depth, 0, null, resources.Secret?.Text), actors.Node,
                    (answers, silent) => new AdminProtocol.Actors(answers.OfType<NodeActors>().ToList(), silent)), sender);
                break;
            case PeekLogs peek:
                Answer(GatherAsync(new AskNode("logs", 0, peek.Count, peek.MinimumLevel, resources.Secret?.Text), peek.Node,
                    (answers, silent) => new Logs(answers.OfType<NodeLogs>().ToList(), silent)), sender);
                break;
            case AskNode ask:
                Answer(LocalAsync(ask), sender);
                break;
            case ListRuns:
                Answer(WithJournal(async journal => new RunList(await journal.RunsAsync().ConfigureAwait(false))), sender);
                break;
            case GetRun get:
                Answer(WithJournal(journal => RunAsync(journal, get.RunId)), sender);
                break;
            case ReadLogs read:
                Answer(ReadLogsAsync(read), sender);
                break;
            case CancelRun cancel:
                Answer(CancelAsync(cancel.RunId), sender);
                break;
            case RetryRun retry:
                Answer(WithJournal(journal => RetryAsync(journal, retry)), sender);
                break;
            case ValidateWorkflow validate:
                var result = WorkflowLoader.Load(validate.DisplayPath, validate.Text, resources.Limits, new LoadOptions(validate.SkipUses));
                sender.Tell(new Validated(result.Errors.Select(e => e.ToString()).ToList(), result.Warnings.Select(w => w.ToString()).ToList(),
                    result.Workflow?.Jobs.Count ?? 0));
                break;
            default:
                sender.Tell(new Refused($"this node does not know {request.GetType().Name} (is it an older Loom?)"));
                break;
        }
    }

    /// <summary>Sends the task's answer to <paramref name="sender"/>; a failure becomes a <see cref="Refused"/> with its reason.</summary>
    private static void Answer(Task<object> work, IActorRef sender) =>
        work.ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : new Refused(Reason(t.Exception)), TaskScheduler.Default).PipeTo(sender);

    private static void Answer<T>(Task<T> work, IActorRef sender) where T : notnull =>
        Answer(work.ContinueWith(t => t.IsCompletedSuccessfully ? (object)t.Result : throw t.Exception!.InnerException!, TaskScheduler.Default), sender);

    private static string Reason(Exception? e)
    {
        while (e is AggregateException { InnerException: { } inner })
            e = inner;
        return e switch
        {
            AskTimeoutException => "the run coordinator did not answer in time (is the cluster up, with a Loom node?)",
            null => "failed",
            _ => e.Message,
        };
    }

    private static object Coordinator(Task<object> asked) =>
        asked.IsCompletedSuccessfully ? asked.Result : new Refused("the run coordinator did not answer in time (it may be moving to another node; try again)");

    private void Steer(string addressText, string verb, Action<Address> act, IActorRef sender)
    {
        var member = FindMember(addressText);
        if (member is null)
        {
            sender.Tell(new Refused($"no member {addressText} (see 'cluster show')"));
            return;
        }
        log.Info("Asked by loom ctl: {Verb} {Member}", verb, member.Address);
        act(member.Address);
        sender.Tell(new Done($"{member.Address}: {verb} requested"));
    }

    /// <summary>A member by its full address or its <c>host:port</c>.</summary>
    private Member? FindMember(string text) =>
        cluster.State.Members.FirstOrDefault(m => m.Address.ToString() == text
            || $"{m.Address.Host}:{m.Address.Port}".Equals(text, StringComparison.OrdinalIgnoreCase));

    private async Task<Members> MembersAsync()
    {
        IReadOnlyDictionary<string, int>? running = null;
        try
        {
            var placements = await resources.Coordinator.Ask<Dispatcher.Placements>(Dispatcher.GetPlacements.Instance, AskTimeout).ConfigureAwait(false);
            running = placements.Nodes.ToDictionary(n => n.Address, n => n.Running, StringComparer.Ordinal);
        }
        catch (AskTimeoutException)
        {
            // The members still show; their running jobs are left unknown.
        }
        var state = cluster.State;
        var coordinator = state.Members.Where(m => m.HasRole(NodeRoles.Node) && m.Status is MemberStatus.Up or MemberStatus.Leaving)
            .OrderBy(m => m, Member.AgeOrdering).FirstOrDefault();
        var members = state.Members.OrderBy(m => m.Address, Member.AddressOrdering).Select(m => new MemberInfo(
            m.Address.ToString(),
            m.Status.ToString(),
            !state.Unreachable.Contains(m),
            NodeRoles.LabelsOf(m.Roles).Order(StringComparer.Ordinal).ToList(),
            NodeRoles.CapacityOf(m.Roles),
            running is null ? null : running.GetValueOrDefault(m.Address.ToString()),
            m.AppVersion.ToString(),
            m.Roles.Order(StringComparer.Ordinal).ToList())).ToList();
        return new Members(cluster.SelfAddress.ToString(), state.Leader?.ToString(), coordinator?.Address.ToString(), members);
    }

    private void Publish(ClusterEvent.IClusterDomainEvent e)
    {
        var change = e switch
        {
            ClusterEvent.MemberUp up => Changed(up.Member, "up"),
            ClusterEvent.MemberJoined joined => Changed(joined.Member, "joined"),
            ClusterEvent.MemberLeft left => Changed(left.Member, "left"),
            ClusterEvent.MemberExited exited => Changed(exited.Member, "exited"),
            ClusterEvent.MemberRemoved removed => Changed(removed.Member, "removed"),
            ClusterEvent.MemberDowned downed => Changed(downed.Member, "downed"),
            ClusterEvent.UnreachableMember unreachable => Changed(unreachable.Member, "unreachable"),
            ClusterEvent.ReachableMember reachable => Changed(reachable.Member, "reachable"),
            ClusterEvent.LeaderChanged { Leader: { } leader } => new MemberChanged(DateTimeOffset.UtcNow, leader.ToString(), "leader", "", []),
            _ => null,
        };
        if (change is null)
            return;
        foreach (var tail in tails.Keys)
            tail.Tell(change);
    }

    private static MemberChanged Changed(Member member, string change) =>
        new(DateTimeOffset.UtcNow, member.Address.ToString(), change, member.Status.ToString(), member.Roles.Order(StringComparer.Ordinal).ToList());

    /// <summary>Asks every Up member's admin (or the one named) for its part; those that do not answer in time are listed as such.</summary>
    private async Task<object> GatherAsync(AskNode ask, string? node, Func<IReadOnlyList<object>, IReadOnlyList<string>, object> combine)
    {
        var members = cluster.State.Members.Where(m => m.Status is MemberStatus.Up or MemberStatus.Leaving or MemberStatus.Joining or MemberStatus.WeaklyUp).ToList();
        if (node is not null)
        {
            var named = FindMember(node);
            if (named is null)
                return new Refused($"no member {node} (see 'cluster show')");
            members = [named];
        }
        var asks = members.Select(async m =>
        {
            try
            {
                var answer = await system.ActorSelection(new RootActorPath(m.Address) / "user" / AdminName).Ask<object>(ask, AskTimeout).ConfigureAwait(false);
                return (m.Address, Answer: answer);
            }
            catch (AskTimeoutException)
            {
                return (m.Address, Answer: (object?)null);
            }
        }).ToList();
        var answers = await Task.WhenAll(asks).ConfigureAwait(false);
        return combine(answers.Where(a => a.Answer is not null and not Refused).Select(a => a.Answer!).ToList(),
            answers.Where(a => a.Answer is null or Refused).Select(a => a.Address.ToString()).ToList());
    }

    private async Task<object> LocalAsync(AskNode ask)
    {
        var self = cluster.SelfAddress.ToString();
        switch (ask.What)
        {
            case "shards":
                var state = await resources.RunnerRegion.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, AskTimeout).ConfigureAwait(false);
                return new AdminProtocol.NodeShards(self, state.Shards.OrderBy(s => s.ShardId, StringComparer.Ordinal)
                    .Select(s => new ShardInfo(s.ShardId, s.EntityIds.Order(StringComparer.Ordinal).ToList())).ToList());
            case "actors":
                return new NodeActors(self, ActorTree.Paths((ExtendedActorSystem)system, Math.Max(1, ask.Depth)));
            case "logs":
                if (resources.RecentLogs is null)
                    return new NodeLogs(self, []);
                var minimum = ask.MinimumLevel is { } level ? RecentLogs.ParseLevel(level) ?? Serilog.Events.LogEventLevel.Verbose : Serilog.Events.LogEventLevel.Verbose;
                return new NodeLogs(self, resources.RecentLogs.Peek(Math.Max(1, ask.Count), minimum));
            default:
                return new Refused($"unknown node query '{ask.What}'");
        }
    }

    private Task<object> WithJournal(Func<RunJournal, Task<object>> read) =>
        resources.Journal is { } journal ? read(journal) : Task.FromResult<object>(new Refused("this node keeps no run history it can read"));

    private Task<object> WithJournal<T>(Func<RunJournal, Task<T>> read) where T : notnull =>
        WithJournal(async journal => (object)await read(journal).ConfigureAwait(false));

    private async Task<object> RunAsync(RunJournal journal, string? runId)
    {
        var runs = await journal.RunsAsync().ConfigureAwait(false);
        var run = runId is null ? runs.FirstOrDefault() : runs.FirstOrDefault(r => r.RunId == runId);
        if (run is null)
            return new Refused(runId is null ? "no run recorded in this cluster yet" : $"no run '{runId}' (see 'runs')");
        var events = (await journal.EventsAsync(run.RunId).ConfigureAwait(false)).Select(e => ClusterProtocol.Serialized.Of(system.Serialization, e)).ToList();
        return new RunFound(run, events, await HeldAsync(run.RunId).ConfigureAwait(false));
    }

    /// <summary>Whether the coordinator still holds the run (it is going on, or its end is not yet handed to its follower).</summary>
    private async Task<bool> HeldAsync(string runId)
    {
        var scheduler = await resources.Coordinator.Ask<SchedulerState>(new GetScheduler(), AskTimeout).ConfigureAwait(false);
        return scheduler.Runs.Contains(runId);
    }

    private async Task<object> ReadLogsAsync(ReadLogs read)
    {
        if (resources.StepLogs is not { } store)
            return new Refused("this node keeps step logs in files of the node that ran each job; start the nodes with --db to read them from anywhere");
        // Held is asked first: lines read after it said "over" are all there will be.
        var held = await HeldAsync(read.RunId).ConfigureAwait(false);
        var entries = await store.ReadAfterAsync(read.RunId, read.AfterSeq).ConfigureAwait(false);
        var lines = entries.Select(e => new LogLine(e.Seq, e.UnitId, e.Attempt, e.Step, e.Line)).ToList();
        return new LogLines(lines, lines.Count == 0 ? read.AfterSeq : lines[^1].Seq, held);
    }

    private async Task<object> CancelAsync(string runId)
    {
        if (!await HeldAsync(runId).ConfigureAwait(false))
            return new Refused($"run {runId} is not running (see 'runs')");
        resources.Coordinator.Tell(new Protocol.ClusterProtocol.CancelRun(runId, "cancelled with loom ctl"));
        log.Info("Asked by loom ctl: cancel run {RunId}", runId);
        return new Done($"cancelling run {runId}");
    }

    private async Task<object> RetryAsync(RunJournal journal, RetryRun retry)
    {
        var retryOf = retry.RunId;
        var events = await journal.EventsAsync(retryOf).ConfigureAwait(false);
        if (events.Count == 0)
            return new Refused($"no run '{retryOf}' (see 'runs')");
        RunEvents.RunDefined defined;
        IReadOnlyDictionary<string, CarriedJob> carried;
        try
        {
            (defined, carried) = RetryPlanner.Plan(retryOf, events, resources.Limits);
        }
        catch (InvalidOperationException e)
        {
            return new Refused(e.Message);
        }
        var runId = $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Random.Shared.Next(0x10000):x4}";
        // Secrets are never journaled: a retried run has the ones its nodes give it, not the first run's.
        var contexts = defined.Contexts with { Loom = new Dictionary<string, string>(defined.Contexts.Loom) { ["run_id"] = runId } };
        var submit = new Protocol.ClusterProtocol.SubmitRun(runId, defined.WorkflowText, defined.WorkflowPath, defined.DisplayPath, defined.Workspace ?? "", defined.Jobs,
            retry.MaxParallel ?? defined.MaxParallel, contexts, defined.SkipUses, retry.NoCache, Follow: false) { Carried = carried };
        var answer = await resources.Coordinator.Ask<object>(submit, AskTimeout).ConfigureAwait(false);
        if (answer is LoomProtocol.RunRejected rejected)
            return new Refused(string.Join("; ", rejected.Errors));
        log.Info("Asked by loom ctl: retry run {RetryOf} as {RunId}", retryOf, runId);
        var again = events.OfType<RunEvents.JobStarted>().Select(j => j.JobId).Concat(events.OfType<RunEvents.JobSkipped>().Select(j => j.JobId))
            .Where(id => !carried.ContainsKey(id) && !carried.ContainsKey(id.Split(" (")[0])).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return new Retried(runId, retryOf, again);
    }

    private sealed class DropSilentTails
    {
        public static readonly DropSilentTails Instance = new();
    }
}

/// <summary>The actor tree of this actor system, walked through each actor's children (no messages: it answers at once).</summary>
internal static class ActorTree
{
    public static IReadOnlyList<string> Paths(ExtendedActorSystem system, int depth)
    {
        var paths = new List<string>();
        foreach (var root in new[] { system.Guardian, system.SystemGuardian })
            Walk(root, 1, depth, paths);
        return paths;
    }

    private static void Walk(IActorRef actor, int level, int depth, List<string> paths)
    {
        paths.Add(actor.Path.ToStringWithoutAddress());
        if (level >= depth || actor is not ActorRefWithCell withCell)
            return;
        foreach (var child in withCell.Children.OrderBy(c => c.Path.Name, StringComparer.Ordinal))
            Walk(child, level + 1, depth, paths);
    }
}
