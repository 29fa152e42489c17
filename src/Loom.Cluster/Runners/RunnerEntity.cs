using Akka.Actor;
using Akka.Event;
using Loom.Actors;
using Loom.Actors.Protocol;
using Loom.Actors.Running;
using Loom.Cluster.Node;
using Loom.Cluster.Protocol;
using Loom.Core.Model;

namespace Loom.Cluster.Runners;

/// <summary>
/// One job attempt on this node, as a sharded entity: takes a slot from the node's gate, sets up the run's files, and
/// runs the job in a child <see cref="RunnerActor"/> whose reports it relays to the run's scheduler. It watches the
/// scheduler: when the scheduler's node is gone the job is killed (the recovered run runs it again as a new attempt).
/// </summary>
public sealed class RunnerEntity : UntypedActor
{
    private readonly string entityId;
    private readonly RunnerNode node;
    private readonly ILoggingAdapter log = Context.GetLogger();
    private ClusterProtocol.StartRunner? start;
    private IActorRef? runner;
    private string? cancelledBeforeStart;
    private bool reported;
    private bool holdsSlot;
    private int? stepPid;
    private ProcessLedger? ledger;

    public RunnerEntity(string entityId, RunnerNode node)
    {
        this.entityId = entityId;
        this.node = node;
    }

    public static Props Props(string entityId, RunnerNode node) => ActorProps.Of(() => new RunnerEntity(entityId, node));

    public static string EntityIdOf(string runId, string unitId, int attempt) => $"{runId}/{Uri.EscapeDataString(unitId)}/{attempt}";

    private JobSpec Job => start!.Job;

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case ClusterProtocol.StartRunner s:
                Start(s);
                break;
            case ClusterProtocol.CheckRunner check when start is null:
                // Started by the check itself: this node never had the try, or already ran it and its report was lost.
                Sender.Tell(new ClusterProtocol.RunnerUnknown(check.RunId, check.UnitId, check.Attempt, check.EntityId));
                Context.Stop(Self);
                break;
            case ClusterProtocol.CheckRunner:
                break;
            case NodeGateProtocol.Granted:
                holdsSlot = true;
                Prepare();
                break;
            case NodeGateProtocol.Refused refused:
                Refuse(refused.Reason, refused.Draining);
                break;
            case Prepared prepared:
                Launch(prepared.Folder);
                break;
            case PrepareFailed failed:
                Report(new SchedulerProtocol.JobFinished(Job.Id, Result.Failure, false, $"the run's files could not be set up on {node.ShardId}: {failed.Error}", TimeSpan.Zero));
                Context.Stop(Self);
                break;
            case ClusterProtocol.CancelRunner cancel:
                if (runner is not null)
                    runner.Tell(new RunnerProtocol.CancelJob(cancel.Reason));
                else
                    cancelledBeforeStart ??= cancel.Reason;
                break;
            case NodeGateProtocol.Abandon abandon when start is not null && !reported:
                Report(new SchedulerProtocol.RunnerLost(Job.Id, Job.Attempt, abandon.Reason));
                Context.Stop(Self);
                break;
            // The runner's reports: step output comes from its reader thread, with no sender.
            case SchedulerProtocol.StepStarted or SchedulerProtocol.StepOutput or SchedulerProtocol.StepFinished or SchedulerProtocol.JobFinished
                or SchedulerProtocol.Annotation or SchedulerProtocol.StepSummary when runner is not null:
                Relay((ILoomMessage)message);
                break;
            case SchedulerProtocol.Reports reports when runner is not null:
                // Local to this node: the scheduler gets each report as a runner's own.
                foreach (var report in reports.Items)
                    Relay(report);
                break;
            case Terminated t when runner is not null && t.ActorRef.Equals(runner):
                if (!reported)
                    Report(new SchedulerProtocol.JobFinished(Job.Id, Result.Failure, false, "the job's runner failed; its processes were killed", TimeSpan.Zero));
                Context.Stop(Self);
                break;
            case Terminated t when start is not null && t.ActorRef.Equals(start.Scheduler):
                log.Warning("The scheduler of run {0} is gone; stopping {1} and its processes", start.RunId, Job.Id);
                reported = true;
                Context.Stop(Self);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Start(ClusterProtocol.StartRunner s)
    {
        if (start is not null)
            return;
        start = s;
        if (s.ShardId != node.ShardId)
        {
            Refuse($"it was sent to {s.ShardId}, which is not this node ({node.ShardId})");
            return;
        }
        Context.Watch(s.Scheduler);
        if (node.Gate is { } gate)
            gate.Tell(new NodeGateProtocol.Acquire(entityId));
        else
            Prepare();
    }

    private void Refuse(string reason, bool nodeClosed = false)
    {
        reported = true;
        start!.Dispatcher.Tell(new ClusterProtocol.RunnerRefused(start.RunId, Job.Id, Job.Attempt, reason, nodeClosed));
        Context.Stop(Self);
    }

    private void Prepare() =>
        node.Workspaces.PrepareAsync(start!.RunId, start.Workspace)
            .PipeTo(Self, success: folder => new Prepared(folder), failure: e => new PrepareFailed(e.GetBaseException().Message));

    private void Launch(string folder)
    {
        if (cancelledBeforeStart is { } reason)
        {
            Report(new SchedulerProtocol.JobFinished(Job.Id, Result.Cancelled, false, reason, TimeSpan.Zero));
            Context.Stop(Self);
            return;
        }
        ledger = OpenLedger();
        runner = Context.ActorOf(RunnerActor.Props(Self, node.Folders, ledger), "runner");
        Context.Watch(runner);
        // Steps may tell which node runs them (as GitHub's RUNNER_NAME).
        var env = new Dictionary<string, string>(Job.Env, StringComparer.Ordinal) { ["LOOM_NODE"] = NodeShards.AddressOf(node.ShardId).ToString() };
        runner.Tell(new RunnerProtocol.RunJob(start!.RunId, folder, Job with { Env = env, ContextsJson = WithWorkspace(Job.ContextsJson, folder) }));
    }

    /// <summary>
    /// The job's contexts with <c>loom.workspace</c> (and so <c>github.workspace</c>) naming the folder its steps run in on this
    /// node, as <c>$LOOM_WORKSPACE</c> does: the submitter's folder, which the scheduler put there, is on another machine.
    /// </summary>
    internal static string WithWorkspace(string contextsJson, string folder)
    {
        if (!contextsJson.Contains("\"workspace\"", StringComparison.Ordinal)
            || System.Text.Json.Nodes.JsonNode.Parse(contextsJson) is not System.Text.Json.Nodes.JsonObject contexts
            || contexts["loom"] is not System.Text.Json.Nodes.JsonObject loom || !loom.ContainsKey("workspace"))
            return contextsJson;
        loom["workspace"] = folder;
        return contexts.ToJsonString();
    }

    /// <summary>The runner's reports go to the scheduler as they are; the node's gate keeps the step processes it starts.</summary>
    private void Relay(ILoomMessage report)
    {
        switch (report)
        {
            case SchedulerProtocol.StepStarted { Pid: { } pid } started:
                stepPid = pid;
                node.Gate?.Tell(new NodeGateProtocol.ProcessStarted(entityId, pid, started.ProcessStartTicks));
                break;
            case SchedulerProtocol.StepFinished when stepPid is { } pid:
                stepPid = null;
                node.Gate?.Tell(new NodeGateProtocol.ProcessEnded(entityId, pid));
                break;
            case SchedulerProtocol.JobFinished:
                reported = true;
                // The slot is free before the scheduler hears the job is done: the dispatcher may place the next job here at once.
                ReleaseSlot();
                break;
        }
        start!.Scheduler.Tell(report);
    }

    private void Report(ILoomMessage report)
    {
        reported = true;
        start!.Scheduler.Tell(report);
    }

    /// <summary>A runner that throws is stopped (its processes killed), never restarted: its job fails.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    protected override void PostStop()
    {
        ReleaseSlot();
        CloseLedger();
    }

    /// <summary>
    /// The job's process ledger among the gate's records: the gate records a step process only once it hears of it, and
    /// a node killed before that leaves the step to the ledger, which the step's child writes before its exec. None where
    /// it cannot be opened: the job runs on, as it does when the gate's record cannot be written.
    /// </summary>
    private ProcessLedger? OpenLedger()
    {
        if (node.ProcessesFolder is not { } folder)
            return null;
        try
        {
            return ProcessLedger.Open(NodeGate.LedgerPath(folder, entityId));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Error(e, "could not open the process ledger of {0}", entityId);
            return null;
        }
    }

    /// <summary>After the runner stopped (its step killed, if any ran): nothing of the job is left to find.</summary>
    private void CloseLedger()
    {
        if (ledger is null)
            return;
        ledger.Dispose();
        ledger = null;
        try
        {
            File.Delete(NodeGate.LedgerPath(node.ProcessesFolder!, entityId));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Warning("could not delete the process ledger of {0}: {1}", entityId, e.Message);
        }
    }

    private void ReleaseSlot()
    {
        if (!holdsSlot)
            return;
        holdsSlot = false;
        node.Gate?.Tell(new NodeGateProtocol.Release(entityId));
    }

    private sealed record Prepared(string Folder);

    private sealed record PrepareFailed(string Error);
}
