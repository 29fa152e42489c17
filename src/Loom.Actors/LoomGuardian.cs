using Akka.Actor;
using Akka.Event;
using Loom.Actors.Hosting;
using Loom.Actors.Protocol;
using Loom.Actors.Scheduling;
using Loom.Actors.Watching;
using Loom.Core.Parsing;

namespace Loom.Actors;

/// <summary>
/// Loom's top actor: supervises the <see cref="WatcherActor"/> (restarted on failure) and one
/// <see cref="SchedulerActor"/> per run (stopped on failure: a run's state is not guessed back).
/// </summary>
public sealed class LoomGuardian : UntypedActor
{
    private readonly ILoggingAdapter log = Context.GetLogger();
    private readonly IActorRef watcher;
    private readonly int maxJobs;
    private readonly LoomPersistenceOptions persistence;
    private readonly LoomStepLogOptions stepLogs;
    // Runs waiting for their concurrency group (LoomProtocol.RunHeld) until they are released.
    private readonly Dictionary<string, PreparedRun> held = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IActorRef> runs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IActorRef> subscribers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (IActorRef Session, IActorRef Subscriber)> watches = new(StringComparer.Ordinal);
    private readonly LoomOptions options;

    // On a cluster: where runs' jobs go (see RunnerProtocol.Dispatch); null runs them in this process.
    private readonly IActorRef? dispatcher;

    public LoomGuardian(LoomOptions options, IActorRef? dispatcher = null)
    {
        this.dispatcher = dispatcher;
        watcher = Context.ActorOf(WatcherActor.Props(options.Limits), "watcher");
        this.options = options;
        maxJobs = options.Limits.MaxJobs;
        persistence = options.Persistence;
        stepLogs = options.StepLogs;
    }

    public static Props Props(LoomOptions options, IActorRef? dispatcher = null) => ActorProps.Of(() => new LoomGuardian(options, dispatcher));

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case LoomProtocol.SubmitRun submit:
                if (runs.ContainsKey(submit.RunId) || held.ContainsKey(submit.RunId))
                    submit.Subscriber.Tell(new LoomProtocol.RunRejected(submit.RunId, [$"run '{submit.RunId}' is already going on"]));
                else
                    watcher.Tell(new WatcherProtocol.Load(submit));
                break;
            case WatcherProtocol.Loaded loaded:
                Loaded(loaded);
                break;
            case LoomProtocol.RunRejected refused:
                // A scheduler that refuses its start (resuming a run that is not there, or a run id already journaled).
                if (subscribers.Remove(refused.RunId, out var refusedSubscriber))
                    refusedSubscriber.Tell(refused);
                break;
            case LoomProtocol.ReleaseRun release:
                if (held.Remove(release.RunId, out var prepared))
                    Launch(prepared);
                break;
            case LoomProtocol.CancelRun cancel:
                if (runs.TryGetValue(cancel.RunId, out var running))
                    running.Tell(new SchedulerProtocol.Cancel(cancel.Reason));
                // A held run never started: nothing was journaled, nothing is left to do.
                else if (held.Remove(cancel.RunId, out var waiting))
                    waiting.Request.Subscriber.Tell(new LoomProtocol.RunRejected(cancel.RunId, [$"run {cancel.RunId} was cancelled before it started ({cancel.Reason})"]));
                break;
            case WatchProtocol.StartWatch start:
                StartWatch(start);
                break;
            case WatchProtocol.StopWatch stop:
                if (watches.TryGetValue(stop.SessionId, out var watch))
                    watch.Session.Forward(stop);
                break;
            case WatchProtocol.StopFinishedRun release:
                // A watch cycle is over: its scheduler goes, or a long session would keep one per cycle.
                subscribers.Remove(release.RunId);
                if (runs.Remove(release.RunId, out var released))
                {
                    Context.Unwatch(released);
                    Context.Stop(released);
                }
                break;
            case Terminated t when WatchOf(t.ActorRef) is { } ended:
                watches.Remove(ended.Key);
                break;
            case Terminated t:
                foreach (var (runId, scheduler) in runs)
                    if (scheduler.Equals(t.ActorRef))
                    {
                        runs.Remove(runId);
                        // A scheduler stops on its own only when it failed (a journal that cannot be written
                        // or read is one way): its subscriber must not wait for a RunFinished that never comes.
                        if (subscribers.Remove(runId, out var subscriber))
                            subscriber.Tell(new LoomProtocol.RunRejected(runId, [$"run {runId} stopped: its scheduler failed (see .loom/logs/loom.log)"]));
                        break;
                    }
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(e =>
        {
            log.Error(e, "A Loom actor failed");
            // A failed session is stopped; its subscriber must not wait for a WatchEnded that never comes.
            if (WatchOf(Sender) is { } failed)
                failed.Value.Subscriber.Tell(new WatchProtocol.WatchEnded($"the watch session failed: {e.Message}", DateTimeOffset.UtcNow));
            return Sender.Equals(watcher) ? Directive.Restart : Directive.Stop;
        });

    private void StartWatch(WatchProtocol.StartWatch start)
    {
        if (watches.ContainsKey(start.SessionId))
        {
            start.Subscriber.Tell(new LoomProtocol.RunRejected(start.SessionId, [$"watch session '{start.SessionId}' is already going on"]));
            return;
        }
        var session = Context.ActorOf(WatchSessionActor.Props(start.SessionId, start.Settings, start.Subscriber, options.Limits, persistence), "watch-" + start.SessionId);
        Context.Watch(session);
        watches[start.SessionId] = (session, start.Subscriber);
    }

    private KeyValuePair<string, (IActorRef Session, IActorRef Subscriber)>? WatchOf(IActorRef actor)
    {
        foreach (var pair in watches)
            if (pair.Value.Session.Equals(actor))
                return pair;
        return null;
    }

    private void Loaded(WatcherProtocol.Loaded loaded)
    {
        var request = loaded.Request;
        if (loaded.Result.Workflow is not { } workflow)
        {
            request.Subscriber.Tell(new LoomProtocol.RunRejected(request.RunId, loaded.Result.Errors.Select(e => e.ToString()).ToList()));
            return;
        }
        RunPlan plan;
        try
        {
            var maxParallel = request.MaxParallel ?? workflow.MaxParallel ?? options.DefaultMaxParallel ?? Environment.ProcessorCount;
            plan = RunPlan.Create(request.RunId, workflow, request.Jobs, maxParallel, maxJobs, request.Carried, readCache: !request.NoCache);
        }
        catch (ArgumentException e)
        {
            request.Subscriber.Tell(new LoomProtocol.RunRejected(request.RunId, [e.Message]));
            return;
        }
        var definition = new RunEvents.RunDefined(request.WorkflowPath, request.DisplayPath, Hash(loaded.Result.Text ?? ""), loaded.Result.Text ?? "",
            request.Jobs, request.MaxParallel, request.SkipUses, request.Contexts with { Secrets = RunContexts.Empty.Secrets }, DateTimeOffset.UtcNow)
        {
            Carried = request.Carried,
            NoCache = request.NoCache,
            LogsFolder = stepLogs.FolderOf(request.RunId),
            Workspace = request.Workspace,
        };
        var prepared = new PreparedRun(request, plan, definition, loaded.Result.Warnings.Select(w => w.ToString()).ToList());
        if (request.HoldForGroup && workflow.Concurrency is not null)
        {
            (string Group, bool CancelInProgress)? group;
            var expressions = new JobExpressions(plan, request.Contexts);
            try
            {
                group = expressions.WorkflowConcurrency();
            }
            catch (Loom.Core.Expressions.ExpressionException e)
            {
                request.Subscriber.Tell(new LoomProtocol.RunRejected(request.RunId, [expressions.Mask($"concurrency: {e.Message}")]));
                return;
            }
            if (group is { } g)
            {
                held[request.RunId] = prepared;
                request.Subscriber.Tell(new LoomProtocol.RunHeld(request.RunId, g.Group, g.CancelInProgress));
                return;
            }
        }
        Launch(prepared);
    }

    private void Launch(PreparedRun run)
    {
        var request = run.Request;
        var scheduler = Context.ActorOf(SchedulerActor.Props(run.Plan, request.Workspace, request.Contexts, persistence, run.Definition, stepLogs, fresh: !request.Resume, dispatcher), "run-" + request.RunId);
        Context.Watch(scheduler);
        runs[request.RunId] = scheduler;
        subscribers[request.RunId] = request.Subscriber;
        // A cluster's run was sent as text: its file is on the submitter's machine.
        if (dispatcher is null && request.WatchWorkflowFile)
            watcher.Tell(new WatcherProtocol.WatchDuringRun(request.WorkflowPath, request.DisplayPath, scheduler));
        request.Subscriber.Tell(new LoomProtocol.RunAccepted(request.RunId, scheduler, run.Warnings));
        scheduler.Tell(new SchedulerProtocol.Start(request.Subscriber, request.Resume));
    }

    private sealed record PreparedRun(LoomProtocol.SubmitRun Request, RunPlan Plan, RunEvents.RunDefined Definition, IReadOnlyList<string> Warnings);

    private static string Hash(string text) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));
}
