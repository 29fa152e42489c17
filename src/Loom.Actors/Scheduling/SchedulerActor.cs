using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Akka.Persistence.Journal;
using Loom.Actors.Execution;
using Loom.Actors.Hosting;
using Loom.Actors.Protocol;
using Loom.Actors.Running;
using Loom.Core.Model;
using static Loom.Actors.Protocol.RunEvents;

namespace Loom.Actors.Scheduling;

/// <summary>
/// Owns one run: its DAG and every job's state (a <see cref="RunState"/>), one
/// <see cref="RunnerActor"/> child per started job. Every decision goes through
/// <c>RunState.Process</c>, then each event is applied, journaled, published, and acted on.
/// </summary>
/// <remarks>
/// Event-sourced, one persistence id per run (<c>run-&lt;id&gt;</c>). A command's events are applied at
/// once (<c>RunState.Handle</c>: each decision of the <c>Advance</c> loop must see the state the
/// previous events made) and handed to the journal in that same order with one <c>PersistAllAsync</c>;
/// while a write is in flight the next commands' events gather into the next write (Akka's journal
/// batch, and the SQLite journal's group commit), so a run costs about one SQLite transaction per ~2 ms of
/// activity, not one per event, and no command waits for the disk. Replay rebuilds the same state because <c>Apply</c> depends only on
/// the plan, the run's contexts and the events before it, and the journal holds exactly the applied
/// events in applied order. What that gives up: a side effect (a started runner) may precede the
/// write that records it; a crash in that window loses the last few events, never reorders them, and a local
/// run's <see cref="ProcessLedger"/> still names the step processes it started, which resume kills. Not the first
/// runners of a run or of a resume: they wait for its first write, so a run that started steps is always on record.
/// <see cref="RunEvents.RunFinished"/> reaches the subscriber only once every event is written
/// (<c>DeferAsync</c>), so a <c>loom run</c> that has printed its result has journaled the whole run.
/// Recovery restores the latest snapshot (<see cref="RunSnapshot"/>, saved every
/// <c>SnapshotEvery</c> events once all of them are written) and replays the events after it through
/// <c>RunState.Apply</c>.
/// </remarks>
public sealed class SchedulerActor : UntypedPersistentActor, IWithTimers
{
    private readonly RunState state;
    private readonly string workspace;
    private readonly ILoggingAdapter log = Context.GetLogger();
    private readonly Dictionary<string, IActorRef> runners = new(StringComparer.Ordinal);
    // On a cluster: the dispatcher that places runners on nodes, and the attempt of each unit handed to it.
    private readonly IActorRef? dispatcher;
    private readonly Dictionary<string, int> dispatched = new(StringComparer.Ordinal);
    private readonly JobFilesPool folders = new();
    // A local run on the embedded store records each step process as it starts (null: on a cluster, or another store).
    private readonly string? ledgerPath;
    private ProcessLedger? ledger;
    private readonly string persistenceId;
    private readonly RunDefined? definition;
    private readonly int snapshotEvery;
    private readonly IStepLogSink? logs;
    private IActorRef subscriber = ActorRefs.Nobody;
    // Events handed to the journal and not yet written, and events since the last snapshot.
    private int unwritten;
    private int sinceSnapshot;
    // The first runners of a run (or of a resume) wait until its first write lands: a kill before it would leave steps
    // running with no record of their run. Cancellations that come meanwhile reach them once they start.
    private List<JobStarted>? heldUntilWritten;
    private readonly Dictionary<string, string> cancelledWhileHeld = new(StringComparer.Ordinal);

    /// <param name="definition">What the run was started with, journaled as its first event; null journals none.</param>
    /// <param name="stepLogs">Where the steps' output is kept; null keeps none.</param>
    /// <param name="fresh">A new run: nothing to replay (the journal is still asked for the run's highest event, so a run id in use is refused).</param>
    /// <param name="dispatcher">On a cluster, where jobs go (<see cref="RunnerProtocol.Dispatch"/>) instead of child runners; null runs them here.</param>
    public SchedulerActor(RunPlan plan, string workspace, RunContexts contexts, LoomPersistenceOptions? persistence = null, RunDefined? definition = null,
        LoomStepLogOptions? stepLogs = null, bool fresh = false, IActorRef? dispatcher = null)
    {
        this.dispatcher = dispatcher;
        this.fresh = fresh;
        state = new RunState(plan, contexts);
        this.workspace = workspace;
        this.definition = definition;
        if (stepLogs?.SinkFactory is { } sink)
            logs = sink(plan.RunId, log);
        else if (stepLogs?.FolderOf(plan.RunId) is { } logFolder)
            logs = new RunLogWriter(logFolder, stepLogs.MaxFileBytes, log);
        persistenceId = PersistenceIdOf(plan.RunId);
        if (dispatcher is null && persistence?.SqliteFolder is { } stateFolder)
            ledgerPath = ProcessLedger.PathOf(stateFolder, plan.RunId);
        if (persistence?.EffectiveJournalPluginId is { } journal)
            JournalPluginId = journal;
        if (persistence?.EffectiveSnapshotPluginId is { } snapshots)
            SnapshotPluginId = snapshots;
        snapshotEvery = persistence?.SnapshotEvery ?? 0;
    }

    // Switches, not ReceivePersistentActor's Recover<T>/Command<T>: the native build runs their matching as interpreted
    // expression trees, some 12 us a message (a run's every report and output line).
    protected override void OnRecover(object message)
    {
        switch (message)
        {
            case SnapshotOffer { Snapshot: RunSnapshot snapshot }:
                state.Restore(snapshot);
                break;
            case IRunEvent e:
                state.Apply(e);
                break;
            case RecoveryCompleted when LastSequenceNr > 0:
                log.Info("Run {0} recovered from its journal at event {1} ({2})", state.Plan.RunId, LastSequenceNr, state.Finished ? "finished" : "not finished");
                break;
            case RecoveryCompleted:
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    protected override void OnCommand(object message)
    {
        switch (message)
        {
            case SchedulerProtocol.Reports reports:
                Handle(reports);
                break;
            case SchedulerProtocol.StepStarted or SchedulerProtocol.StepFinished or SchedulerProtocol.JobFinished or SchedulerProtocol.Cancel
                or SchedulerProtocol.RetryDue:
                Handle((ILoomMessage)message);
                break;
            case SchedulerProtocol.StepOutput o:
                subscriber.Tell(new OutputLine(o.JobId, o.Step, o.Line, DateTimeOffset.UtcNow, o.Group));
                if (logs is not null)
                    KeepLine(o);
                break;
            case FlushLogs:
                logs?.Flush();
                break;
            case LogsClosed closed:
                PublishFinished(closed.Finished);
                break;
            case SchedulerProtocol.Annotation a:
                subscriber.Tell(new Annotation(a.JobId, a.Step, a.Level, a.Message, a.File, a.Line, a.Column, a.Title, DateTimeOffset.UtcNow));
                // Kept in the step's log where it was printed, so that a reader of the logs (loom logs, the web view) sees it too.
                if (logs is not null)
                    KeepLine(new SchedulerProtocol.StepOutput(a.JobId, a.Step, RunLogFiles.AnnotationLine(a.Level, a.Message, a.File, a.Line, a.Column, a.Title)));
                break;
            case SchedulerProtocol.StepSummary summary:
                subscriber.Tell(new StepSummary(summary.JobId, summary.Markdown, DateTimeOffset.UtcNow));
                break;
            case SchedulerProtocol.RunnerLost lost:
                log.Warning("Run {0}: the runner of {1} (attempt {2}) is gone: {3}; the job runs again", state.Plan.RunId, lost.JobId, lost.Attempt, lost.Reason);
                Handle(lost);
                break;
            case SchedulerProtocol.Start start:
                Start(start);
                break;
            case SchedulerProtocol.WorkflowFileChanged c:
                log.Info("Workflow file {0} changed during run {1}; the run keeps the version it started with", c.Path, state.Plan.RunId);
                subscriber.Tell(new WorkflowChanged(c.Path, DateTimeOffset.UtcNow));
                break;
            case Terminated terminated:
                OnRunnerTerminated(terminated);
                break;
            case SaveSnapshotSuccess saved:
                DeleteSnapshots(new SnapshotSelectionCriteria(saved.Metadata.SequenceNr - 1));
                break;
            case SaveSnapshotFailure failed:
                // Recovery replays more events instead: slower, never wrong.
                log.Warning("Run {0}: snapshot at event {1} not saved: {2}", state.Plan.RunId, failed.Metadata.SequenceNr, failed.Cause.Message);
                break;
            case DeleteSnapshotsSuccess or DeleteSnapshotsFailure:
                break;
            case SchedulerProtocol.GetStatus:
                Sender.Tell(Status());
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public override string PersistenceId => persistenceId;

    public static string PersistenceIdOf(string runId) => "run-" + runId;

    public static Props Props(RunPlan plan, string workspace, RunContexts contexts, LoomPersistenceOptions? persistence = null, RunDefined? definition = null,
        LoomStepLogOptions? stepLogs = null, bool fresh = false, IActorRef? dispatcher = null) =>
        ActorProps.Of(() => new SchedulerActor(plan, workspace, contexts, persistence, definition, stepLogs, fresh, dispatcher));

    private readonly bool fresh;

    /// <summary>A new run loads no snapshot and replays nothing: one round trip to the store instead of two before its first job.</summary>
    public override Recovery Recovery => fresh ? Recovery.None : base.Recovery;

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr) =>
        log.Error(cause, "Run {0} could not journal event {1} ({2}); the run stops", state.Plan.RunId, sequenceNr, @event.GetType().Name);

    /// <summary>A runner that throws is stopped, never restarted: its job fails, the rest of the run goes on.</summary>
    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(e =>
        {
            log.Error(e, "A runner of run {0} failed", state.Plan.RunId);
            return Directive.Stop;
        });

    private void Start(SchedulerProtocol.Start start)
    {
        subscriber = start.Subscriber;
        var runId = state.Plan.RunId;
        if (LastSequenceNr == 0 && start.Resume)
        {
            Refuse($"run {runId} has no journal to resume from");
            return;
        }
        if (LastSequenceNr > 0 && !start.Resume)
        {
            Refuse($"run {runId} already exists in the journal");
            return;
        }
        if (LastSequenceNr == 0)
        {
            OpenLedger();
            if (definition is not null)
            {
                unwritten++;
                PersistAsync(definition, Written);
            }
            HoldRunnersUntilWritten(() => Handle(start));
            return;
        }
        if (state.Finished)
        {
            Refuse($"run {runId} is already finished ({state.RunResult?.ToWire()})");
            return;
        }
        // Resume (the subscriber read what happened before from the journal): what the dead run left running
        // is killed (a pid reused since is left alone) and queued again. Its process ledger names every step process
        // it started, also those whose start the journal lost. On a cluster those processes ran on other nodes, whose
        // runners kill them when this run's old scheduler is gone.
        var started = ledgerPath is null ? [] : ProcessLedger.Read(ledgerPath);
        foreach (var unit in dispatcher is null ? state.RunningUnits() : [])
        {
            if (unit.Process is { } process && !started.Any(e => e.Names(process)))
                Kill(unit.Id, process, process.StartTimeTicks);
        }
        foreach (var entry in started)
            if (state.MayBeLeftRunning(entry.UnitId, entry.Attempt))
                Kill(entry.UnitId, entry.Process, entry.LatestStartTicks);
        OpenLedger();
        var ledgerAttempts = ledgerPath is null ? null : started.GroupBy(e => e.UnitId).ToDictionary(g => g.Key, g => g.Max(e => e.Attempt));
        HoldRunnersUntilWritten(() => Handle(new SchedulerProtocol.Resume(ledgerAttempts)));
    }

    /// <param name="latestStart">The latest tick at which <paramref name="process"/> may have started (its start time is the earliest).</param>
    private void Kill(string unitId, ProcessIdentity process, long latestStart)
    {
        log.Info("Run {0}: killing what is left of {1} (pid {2}) before running it again", state.Plan.RunId, unitId, process.Pid);
        ProcessTree.KillGroup(process, latestStart);
    }

    /// <summary>Opens the run's process ledger before its first runner starts; a run goes on without one that cannot be opened.</summary>
    private void OpenLedger()
    {
        if (ledgerPath is null)
            return;
        try
        {
            ledger = ProcessLedger.Open(ledgerPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Warning("Run {0}: no process ledger at {1} ({2}); a killed loom may leave step processes that resume cannot find", state.Plan.RunId, ledgerPath, e.Message);
        }
    }

    private void HoldRunnersUntilWritten(Action handle)
    {
        heldUntilWritten = [];
        handle();
        // Runs once every event persisted before it is written.
        DeferAsync(heldUntilWritten, _ => ReleaseHeldRunners());
    }

    private void ReleaseHeldRunners()
    {
        var held = heldUntilWritten ?? [];
        heldUntilWritten = null;
        foreach (var started in held)
        {
            StartRunner(started);
            if (cancelledWhileHeld.Remove(started.JobId, out var reason))
                CancelUnit(started.JobId, reason);
        }
    }

    /// <summary>The guardian tells the subscriber (and so does not report the stop as a failure).</summary>
    private void Refuse(string why)
    {
        Context.Parent.Tell(new LoomProtocol.RunRejected(state.Plan.RunId, [why]));
        Context.Stop(Self);
    }

    private void Handle(ILoomMessage command) => Act(state.Handle(command, DateTimeOffset.UtcNow));

    /// <summary>A runner's reports in one: their events are written with one <c>PersistAllAsync</c>.</summary>
    private void Handle(SchedulerProtocol.Reports reports)
    {
        var now = DateTimeOffset.UtcNow;
        var events = new List<IRunEvent>();
        foreach (var report in reports.Items)
            events.AddRange(state.Handle(report, now));
        Act(events);
    }

    /// <summary>Journals the events (already applied), tells the subscriber and acts on them.</summary>
    private void Act(List<IRunEvent> events)
    {
        if (events.Count == 0)
            return;
        unwritten += events.Count;
        sinceSnapshot += events.Count;
        PersistAllAsync(Journaled(events), Written);
        foreach (var e in events)
        {
            if (e is RunFinished)
                DeferAsync(e, Finish);
            else if (e is IRunNotification)
                subscriber.Tell(e);
            React(e);
        }
    }

    /// <summary>The run's first and last events carry a tag, so a history of runs reads two events per run.</summary>
    private static IEnumerable<object> Journaled(List<IRunEvent> events)
    {
        foreach (var e in events)
            yield return e is RunStarted or RunFinished ? new Tagged(e, [LoomPersistenceOptions.RunTag]) : e;
    }

    /// <summary>
    /// The state was applied before the write. A snapshot is taken only when every applied event is written, so
    /// it never gets ahead of the journal, and no more often than every ten events per unit (a snapshot's size
    /// grows with the run's units: so its cost per event stays small); older snapshots are deleted once it is
    /// saved, and all of them once the run is finished (nothing recovers a finished run).
    /// </summary>
    private void Written(object written)
    {
        unwritten--;
        if ((written is Tagged tagged ? tagged.Payload : written) is RunFinished)
        {
            DeleteSnapshots(SnapshotSelectionCriteria.Latest);
            return;
        }
        if (unwritten > 0 || snapshotEvery <= 0 || sinceSnapshot < Math.Max(snapshotEvery, 10 * state.UnitCount) || state.Finished)
            return;
        sinceSnapshot = 0;
        SaveSnapshot(state.ToSnapshot());
    }

    /// <summary>
    /// The run's last event goes out, then its job folders are removed: not before its last write, which waited for them
    /// (cleaning up is not what the caller waits for). Runners still stopping remove their folders as they give them back.
    /// </summary>
    private void PublishFinished(IRunEvent finished)
    {
        subscriber.Tell(finished);
        folders.Dispose();
    }

    /// <summary>The run's last event goes out once its step logs are stored too (on disk, or the host's sink): <c>loom logs</c> after <c>loom run</c> reads them whole.</summary>
    private void Finish(IRunEvent finished)
    {
        if (logs is not { Started: true })
        {
            PublishFinished(finished);
            return;
        }
        Timers.Cancel(FlushLogs.Instance);
        logs.CloseAllAsync().PipeTo(Self, success: () => new LogsClosed(finished), failure: _ => new LogsClosed(finished));
    }

    private void KeepLine(SchedulerProtocol.StepOutput o)
    {
        var unit = state[o.JobId];
        var first = !logs!.Started;
        logs.Write(o.JobId, unit.Attempt, o.Step, unit.CurrentStep, o.Line);
        // Buffered lines reach the file (or the sink's store) at least this often, for 'loom logs --follow'; a run without output has no timer.
        if (first)
            Timers.StartPeriodicTimer(FlushLogs.Instance, FlushLogs.Instance, FlushInterval);
    }

    private static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(500);

    private sealed class FlushLogs
    {
        public static readonly FlushLogs Instance = new();
    }

    private sealed record LogsClosed(IRunEvent Finished);

    private SchedulerProtocol.RunStatus Status()
    {
        var jobs = new List<UnitStatus>();
        foreach (var job in state.Jobs)
        {
            if (job.Units.Count == 0)
                jobs.Add(new UnitStatus(job.Id, job.Phase, job.Result, job.Reason, TimeSpan.Zero, 0, 0));
            foreach (var unit in job.Units)
                jobs.Add(new UnitStatus(unit.Id, unit.Phase, unit.Result, unit.Reason, unit.Duration, unit.Attempt, unit.StepsFinished));
        }
        return new SchedulerProtocol.RunStatus(state.Plan.RunId, state.Started, state.Finished, state.RunResult, LastSequenceNr, jobs);
    }

    private void React(IRunEvent e)
    {
        switch (e)
        {
            case JobStarted started when heldUntilWritten is not null:
                heldUntilWritten.Add(started);
                break;
            case JobStarted started:
                StartRunner(started);
                break;
            case JobFinished finished:
                if (runners.Remove(finished.JobId, out var done))
                    Context.Unwatch(done);
                Release(finished.JobId);
                logs?.Close(finished.JobId);
                if (finished.Retrying)
                    Timers.StartSingleTimer(finished.JobId, new SchedulerProtocol.RetryDue(finished.JobId), finished.RetryDelay);
                break;
            case JobInterrupted interrupted:
                Release(interrupted.JobId);
                break;
            case JobCancelling cancelling:
                CancelUnit(cancelling.JobId, cancelling.Reason);
                break;
            case RunCancelling cancelling:
                foreach (var runner in runners.Values)
                    runner.Tell(new RunnerProtocol.CancelJob(cancelling.Reason));
                foreach (var (unitId, unitAttempt) in dispatched)
                    dispatcher!.Tell(new RunnerProtocol.Withdraw(state.Plan.RunId, unitId, unitAttempt, cancelling.Reason));
                foreach (var held in heldUntilWritten ?? [])
                    CancelUnit(held.JobId, cancelling.Reason);
                break;
            case RunFinished finished:
                log.Info("Run {0} finished: {1}", state.Plan.RunId, finished.Result.ToWire());
                break;
        }
    }

    protected override void PostStop()
    {
        folders.Dispose();
        ledger?.Dispose();
        // A run stopped before its end keeps what its steps printed so far.
        logs?.CloseAllAsync();
    }

    private void StartRunner(JobStarted started)
    {
        JobSpec spec;
        try
        {
            spec = state.Expressions.SpecOf(state[started.JobId], state);
        }
        catch (Loom.Core.Expressions.ExpressionException e)
        {
            // A job-level value (name, env, timeout) that cannot be evaluated fails the job before it starts.
            Self.Tell(new SchedulerProtocol.JobFinished(started.JobId, Result.Failure, false, state.Expressions.Mask(e.Message), TimeSpan.Zero));
            return;
        }
        if (dispatcher is not null)
        {
            dispatched[started.JobId] = started.Attempt;
            dispatcher.Tell(new RunnerProtocol.Dispatch(state.Plan.RunId, workspace, spec, Self));
            return;
        }
        // Actor names cannot hold every character a matrix cell id can.
        var runner = Context.ActorOf(RunnerActor.Props(Self, folders, ledger), "runner-" + Uri.EscapeDataString(started.JobId) + "-" + started.Attempt);
        Context.Watch(runner);
        runners[started.JobId] = runner;
        runner.Tell(new RunnerProtocol.RunJob(state.Plan.RunId, workspace, spec));
    }

    /// <summary>Cancels one unit where it runs: its runner, the cluster's dispatcher, or (held until the first write) as it starts.</summary>
    private void CancelUnit(string unitId, string reason)
    {
        if (heldUntilWritten?.Exists(s => s.JobId == unitId) == true)
            cancelledWhileHeld.TryAdd(unitId, reason);
        if (runners.TryGetValue(unitId, out var runner))
            runner.Tell(new RunnerProtocol.CancelJob(reason));
        if (dispatched.TryGetValue(unitId, out var attempt))
            dispatcher!.Tell(new RunnerProtocol.Withdraw(state.Plan.RunId, unitId, attempt, reason));
    }

    /// <summary>A dispatched attempt is over: the dispatcher frees its node's slot.</summary>
    private void Release(string unitId)
    {
        if (dispatched.Remove(unitId, out var attempt))
            dispatcher!.Tell(new RunnerProtocol.Released(state.Plan.RunId, unitId, attempt));
    }

    private void OnRunnerTerminated(Terminated terminated)
    {
        var jobId = runners.FirstOrDefault(r => r.Value.Equals(terminated.ActorRef)).Key;
        if (jobId is null)
            return;
        var job = state[jobId];
        runners.Remove(jobId);
        Handle(new SchedulerProtocol.JobFinished(jobId, Result.Failure, false, "the job's runner failed; its processes were killed", DateTimeOffset.UtcNow - (job.StartedAt ?? DateTimeOffset.UtcNow)));
    }
}
