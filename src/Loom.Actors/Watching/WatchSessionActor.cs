using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Loom.Actors.Hosting;
using Loom.Actors.Protocol;
using Loom.Actors.Scheduling;
using Loom.Core.Parsing;
using Loom.Core.Watching;
using static Loom.Actors.Protocol.WatchProtocol;

namespace Loom.Actors.Watching;

/// <summary>
/// One <c>loom watch</c> session: watches the workspace (<see cref="FileChangeSource"/>), debounces with one timer,
/// and runs each cycle as a run of its own through the guardian, with itself as the run's subscriber (it passes
/// every notification on). What to run, carry, queue, restart or forget is decided by <see cref="WatchSession"/>.
/// </summary>
public sealed class WatchSessionActor : UntypedActor, IWithTimers
{
    private readonly ILoggingAdapter log = Context.GetLogger();
    private readonly string sessionId;
    private readonly WatchSettings settings;
    private readonly IActorRef subscriber;
    private readonly ParseLimits limits;
    private readonly LoomPersistenceOptions persistence;
    private WatchSession? session;
    private FileChangeSource? source;
    private string? stopReason;

    public WatchSessionActor(string sessionId, WatchSettings settings, IActorRef subscriber, ParseLimits limits, LoomPersistenceOptions persistence)
    {
        this.sessionId = sessionId;
        this.settings = settings;
        this.subscriber = subscriber;
        this.limits = limits;
        this.persistence = persistence;
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string sessionId, WatchSettings settings, IActorRef subscriber, ParseLimits limits, LoomPersistenceOptions persistence) =>
        ActorProps.Of(() => new WatchSessionActor(sessionId, settings, subscriber, limits, persistence));

    protected override void PreStart()
    {
        var loaded = Load();
        if (loaded.Workflow is not { } workflow)
        {
            subscriber.Tell(new LoomProtocol.RunRejected(sessionId, loaded.Errors.Select(e => e.ToString()).ToList()));
            Context.Stop(Self);
            return;
        }
        var rules = IgnoreRules.Load(settings.Workspace);
        var self = Self;
        // Watching starts before the first cycle, so nothing written from now on is missed.
        source = FileChangeSource.Start(settings.Workspace, rules, change => self.Tell(change), new FileChangeSourceOptions { Poll = settings.Poll });
        var relative = Path.GetRelativePath(settings.Workspace, Path.GetFullPath(settings.WorkflowPath)).Replace('\\', '/');
        // A job's last writes reach us after its end: some milliseconds with native events, up to a polling round when polling.
        var grace = source.IsPolling ? 2 * new FileChangeSourceOptions().PollingInterval + TimeSpan.FromMilliseconds(100) : TimeSpan.FromMilliseconds(100);
        session = new WatchSession(sessionId, workflow, loaded.Text ?? "", settings.Workspace, rules, relative.StartsWith("../", StringComparison.Ordinal) ? null : relative,
            settings.OnBusy, settings.Debounce, grace, settings.KeepRuns, TimeProvider.System);
        if (source.FallbackReason is { } why)
            log.Warning("Watch session {0} polls: {1}", sessionId, why);
        subscriber.Tell(new WatchProtocol.Watching(settings.Workspace, source.IsPolling, source.FallbackReason, DateTimeOffset.UtcNow));
        foreach (var warning in loaded.Warnings)
            log.Warning("{0}", warning);
        Start(session.Begin());
    }

    protected override void PostStop() => source?.Dispose();

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case FileChange change when session is not null:
                if (session.Changed(change) is { } due)
                    Timers.StartSingleTimer(BatchDue.Instance, BatchDue.Instance, due);
                break;
            case BatchDue when session is not null:
                TakeBatch(session);
                break;
            case RunEvents.WorkflowChanged:
                break; // the session reloads the file itself
            case LoomProtocol.RunAccepted:
                break;
            case RunEvents.RunFinished finished when session is not null:
                subscriber.Tell(finished);
                CycleEnded(session);
                break;
            case LoomProtocol.RunRejected rejected when session is not null:
                subscriber.Tell(rejected);
                CycleEnded(session);
                break;
            case RunEvents.RunStarted started when session is not null && (stopReason is not null || session.CancelRequested):
                // A cancel sent before the guardian had the run's scheduler went nowhere: send it again.
                subscriber.Tell(started);
                Context.Parent.Tell(new LoomProtocol.CancelRun(started.RunId, stopReason ?? "restarting: files changed"));
                break;
            case IRunNotification notification when session is not null:
                session.Observe(notification);
                subscriber.Tell(notification);
                break;
            case StopWatch stop:
                Stop(stop.Reason);
                break;
            case DeleteMessagesSuccess or DeleteMessagesFailure:
                if (message is DeleteMessagesFailure failure)
                    log.Warning(failure.Cause, "Watch session {0} could not delete an old cycle's events", sessionId);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void TakeBatch(WatchSession current)
    {
        if (!current.TryTakeBatch(out var batch, out var excused, out var again))
        {
            if (again is { } due)
                Timers.StartSingleTimer(BatchDue.Instance, BatchDue.Instance, due);
            return;
        }
        var reloaded = current.TouchesWorkflow(batch!) ? Load() : null;
        foreach (var decision in current.Batch(batch!, excused, reloaded))
            Act(decision);
    }

    private void CycleEnded(WatchSession current)
    {
        if (current.RunningCycle is { } runId)
            Context.Parent.Tell(new StopFinishedRun(runId));
        foreach (var decision in current.CycleEnded(stopping: stopReason is not null))
            Act(decision);
        if (stopReason is not null)
            End(stopReason);
    }

    private void Act(WatchDecision decision)
    {
        var now = DateTimeOffset.UtcNow;
        switch (decision)
        {
            case WatchDecision.StartCycle start:
                Start(start);
                break;
            case WatchDecision.CancelCycle cancel:
                subscriber.Tell(new ChangesWhileBusy("restarting", Lines(cancel.Triggers), now));
                Context.Parent.Tell(new LoomProtocol.CancelRun(cancel.RunId, "restarting: files changed"));
                break;
            case WatchDecision.Busy busy:
                subscriber.Tell(new ChangesWhileBusy(busy.Ignored ? "ignored" : "queued", Lines(busy.Triggers), now));
                break;
            case WatchDecision.Reloaded reloaded:
                subscriber.Tell(new WorkflowReloaded(settings.DisplayPath, reloaded.Diff.Added, reloaded.Diff.Removed, reloaded.Diff.Changed, now));
                break;
            case WatchDecision.Rejected rejected:
                subscriber.Tell(new WorkflowRejected(settings.DisplayPath, rejected.Errors, now));
                break;
            case WatchDecision.Forget forget:
                Forget(forget.RunIds);
                subscriber.Tell(new RunsForgotten(forget.RunIds, now));
                break;
        }
    }

    private void Start(WatchDecision.StartCycle start)
    {
        subscriber.Tell(new CycleStarting(start.RunId, start.Number, Lines(start.Triggers), start.ToRun, DateTimeOffset.UtcNow));
        var loom = new Dictionary<string, string>(settings.Contexts.Loom) { ["run_id"] = start.RunId };
        Context.Parent.Tell(new LoomProtocol.SubmitRun(start.RunId, settings.WorkflowPath, settings.DisplayPath, settings.Workspace, [], settings.MaxParallel, Self)
        {
            Contexts = settings.Contexts with { Loom = loom },
            // The version in force, not whatever the file holds now (an invalid edit leaves the previous one in force).
            WorkflowText = session!.WorkflowText,
            Carried = start.Carried,
            SkipUses = settings.SkipUses,
        });
    }

    /// <summary>Deletes old cycles' events; the SQLite file reuses their pages, so the journal stays bounded.</summary>
    private void Forget(IReadOnlyList<string> runIds)
    {
        var journal = Akka.Persistence.Persistence.Instance.Apply(Context.System).JournalFor(persistence.EffectiveJournalPluginId);
        foreach (var runId in runIds)
            journal.Tell(new DeleteMessagesTo(SchedulerActor.PersistenceIdOf(runId), long.MaxValue, Self));
    }

    private void Stop(string reason)
    {
        if (stopReason is not null)
            return;
        stopReason = reason;
        if (session?.RunningCycle is { } runId)
            Context.Parent.Tell(new LoomProtocol.CancelRun(runId, reason));
        else
            End(reason);
    }

    private void End(string reason)
    {
        subscriber.Tell(new WatchEnded(reason, DateTimeOffset.UtcNow));
        Context.Stop(Self);
    }

    private LoadResult Load() =>
        WorkflowLoader.LoadFile(settings.WorkflowPath, limits, new LoadOptions(settings.SkipUses), settings.DisplayPath);

    private sealed record BatchDue
    {
        public static readonly BatchDue Instance = new();
    }

    private static List<string> Lines(IReadOnlyList<JobTrigger> triggers) => triggers.Select(t => t.ToString()).ToList();
}
