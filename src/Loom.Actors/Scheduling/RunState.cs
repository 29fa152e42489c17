using Loom.Actors.Protocol;
using Loom.Core.Expressions;
using Loom.Core.Model;
using static Loom.Actors.Protocol.RunEvents;

namespace Loom.Actors.Scheduling;

public enum JobPhase { Pending, Queued, Running, Retrying, Done }

/// <summary>One thing that runs: a job, or one cell of a matrix job. Its id is what events name.</summary>
public sealed class UnitState(string id, int node, int cell, ExpressionValue? matrix)
{
    public string Id { get; } = id;

    /// <summary>The job (graph node) this belongs to.</summary>
    public int Node { get; } = node;

    /// <summary>The cell's position in its matrix; 0 for a job without one.</summary>
    public int Cell { get; } = cell;

    /// <summary>The <c>matrix</c> context of a cell; null for a job without a matrix.</summary>
    public ExpressionValue? Matrix { get; } = matrix;

    public JobPhase Phase { get; internal set; }
    public Result? Result { get; internal set; }
    public bool TimedOut { get; internal set; }
    public string? Reason { get; internal set; }
    public DateTimeOffset? StartedAt { get; internal set; }
    public TimeSpan Duration { get; internal set; }
    public string? CurrentStep { get; internal set; }
    public int StepsFinished { get; internal set; }
    public int Attempt { get; internal set; }

    /// <summary>Attempts cut short by the death of their <c>loom</c> (see <see cref="JobInterrupted"/>): not counted by <c>retry</c>.</summary>
    public int Interrupted { get; internal set; }

    /// <summary>The cache key of a <c>cache: true</c> unit once it finished: what its dependents' keys cover.</summary>
    public string? CacheKey { get; internal set; }

    /// <summary>The process of the step running now, as journaled: what a resumed run kills.</summary>
    public Execution.ProcessIdentity? Process { get; internal set; }
    public IReadOnlyDictionary<string, string> Outputs { get; internal set; } = Empty;

    /// <summary>The result dependents see: a failure under <c>continue-on-error</c> counts as success.</summary>
    internal Result? EffectiveResult { get; set; }

    internal bool ContinueOnError { get; set; }

    internal static readonly IReadOnlyDictionary<string, string> Empty = new Dictionary<string, string>();
}

/// <summary>One job of the graph as the scheduler sees it, with the units (itself, or its matrix cells) that run it.</summary>
public sealed class JobState(int index, string id)
{
    public int Index { get; } = index;
    public string Id { get; } = id;

    private JobPhase phase;
    private string? reason;

    /// <summary>Pending until its needs are done; then, for a job without a matrix, its unit's phase; Running while a cell is not done; then Done.</summary>
    public JobPhase Phase
    {
        get => phase != JobPhase.Done && Single is { } unit ? unit.Phase : phase;
        internal set => phase = value;
    }

    /// <summary>The combined result of its units; <see cref="Result.Skipped"/> when it never ran.</summary>
    public Result? Result { get; internal set; }

    public string? Reason
    {
        get => reason ?? Single?.Reason;
        internal set => reason = value;
    }

    // What a snapshot keeps: the job's own phase and reason, not those it shows through its single unit.
    internal JobPhase OwnPhase => phase;
    internal string? OwnReason => reason;

    public bool TimedOut => units.Any(u => u.TimedOut);

    /// <summary>The one unit of a job without a matrix.</summary>
    private UnitState? Single => units.Count == 1 && units[0].Matrix is null ? units[0] : null;
    public IReadOnlyList<UnitState> Units => units;

    internal readonly List<UnitState> units = [];
    internal int RemainingNeeds { get; set; }
    internal int UnitsLeft { get; set; }
    internal int UnitsRunning { get; set; }

    /// <summary>This job or one of its ancestors failed (what <c>failure()</c> asks of a dependent).</summary>
    internal bool FailedOrUpstream { get; set; }

    internal Result? EffectiveResult { get; set; }
}

/// <summary>
/// A run's whole scheduling state as a plain object: <see cref="Process"/> decides (never mutates),
/// <see cref="Apply"/> changes state, one event at a time. The actor persists what Process returns
/// and applies it, so replaying the events rebuilds exactly this state. What follows from applied
/// events (readied jobs, free slots, the end of the run) is decided by processing
/// <see cref="SchedulerProtocol.Advance"/> until it yields nothing: <see cref="Handle"/> does that loop.
/// </summary>
public sealed partial class RunState
{
    private readonly RunPlan plan;
    private readonly JobExpressions expressions;
    private readonly JobState[] jobs;
    private readonly Dictionary<string, UnitState> units = new(StringComparer.Ordinal);
    // Attempts of units not queued yet that the process ledger saw start and the journal lost (see Resume); the ledger keeps
    // them too, so a snapshot need not: a later resume finds them again.
    private readonly Dictionary<string, int> lostAttempts = new(StringComparer.Ordinal);
    // Sets of objects, not of value tuples: generic code over reference types is shared and precompiled
    // by ReadyToRun, while a SortedSet of tuples is JIT-compiled at every start (some 50 methods).
    private readonly SortedSet<UnitState> queue;
    private readonly SortedSet<JobState> ready = new(Comparer<JobState>.Create(static (a, b) => a.Index.CompareTo(b.Index)));
    // Whether any job has a job-level concurrency group: only then does dispatch look at groups.
    private readonly bool jobGroups;
    private int doneCount;
    private int doneWithoutUnits;
    private bool workflowFailed;

    public RunState(RunPlan plan, RunContexts? contexts = null)
    {
        this.plan = plan;
        expressions = new JobExpressions(plan, contexts ?? RunContexts.Empty);
        queue = new SortedSet<UnitState>(new DispatchOrder(plan));
        jobs = new JobState[plan.Jobs.Count];
        jobGroups = plan.Jobs.Any(j => j.Concurrency is not null);
        for (var i = 0; i < jobs.Length; i++)
            jobs[i] = new JobState(i, plan.Jobs[i].Id) { RemainingNeeds = plan.Graph.NeedsOf(i).Count };
    }

    public RunPlan Plan => plan;
    public JobExpressions Expressions => expressions;
    public IReadOnlyList<JobState> Jobs => jobs;
    public bool Started { get; private set; }
    public bool Cancelled { get; private set; }
    public bool Finished { get; private set; }
    public Result? RunResult { get; private set; }
    public DateTimeOffset? StartedAt { get; private set; }
    public int Running { get; private set; }

    /// <summary>How many units (jobs, or matrix cells) the run has so far: what a snapshot's size grows with.</summary>
    public int UnitCount => units.Count;

    /// <summary>A unit by the id events use (a job's id, or a matrix cell's id).</summary>
    public UnitState this[string unitId] => units[unitId];

    public JobState Job(string jobId) => jobs[plan.Graph.IndexOf(jobId)];

    /// <summary>How many cells a matrix of job <paramref name="node"/> may have: the job limit less every other job and cell.</summary>
    public int CellBudget(int node)
    {
        var undecided = 0;
        foreach (var job in jobs)
            if (job.Index != node && job.Phase == JobPhase.Pending && job.units.Count == 0)
                undecided++;
        return Math.Max(0, plan.MaxJobs - units.Count - undecided - doneWithoutUnits);
    }

    /// <summary>Processes a command, applies its events, then advances until nothing more follows; returns every event in order.</summary>
    public List<IRunEvent> Handle(ILoomMessage command, DateTimeOffset now)
    {
        var all = new List<IRunEvent>();
        var events = Process(command, now);
        while (events.Count > 0)
        {
            foreach (var e in events)
                Apply(e);
            all.AddRange(events);
            events = Process(SchedulerProtocol.Advance.Instance, now);
        }
        return all;
    }

    public IReadOnlyList<IRunEvent> Process(ILoomMessage command, DateTimeOffset now)
    {
        if (Finished)
            return [];
        var events = new List<IRunEvent>();
        switch (command)
        {
            case SchedulerProtocol.Start when !Started:
                events.Add(new RunStarted(plan.RunId, plan.Workflow.Name, plan.Graph.Ids, plan.MaxParallel, now));
                break;
            case SchedulerProtocol.Cancel cancel when Started && !Cancelled:
                events.Add(new RunCancelling(cancel.Reason, now));
                break;
            case SchedulerProtocol.StepStarted s when IsRunning(s.JobId):
                events.Add(new StepStarted(s.JobId, s.Step, s.Title, now, s.Pid, s.ProcessStartTicks));
                break;
            case SchedulerProtocol.Resume resume when Started:
                Resume(resume.LedgerAttempts, now, events);
                // A run that died with nothing running (its queued jobs not started yet) goes on too.
                if (events.Count == 0)
                    Advance(now, events);
                break;
            case SchedulerProtocol.RunnerLost lost when IsRunning(lost.JobId) && units[lost.JobId].Attempt == lost.Attempt:
                events.Add(new JobInterrupted(lost.JobId, lost.Attempt, now));
                break;
            case SchedulerProtocol.StepFinished s when IsRunning(s.JobId):
                events.Add(new StepFinished(s.JobId, s.Step, s.Outcome, s.Conclusion, s.ExitCode, s.Duration, s.Error, now));
                break;
            case SchedulerProtocol.JobFinished f when IsRunning(f.JobId):
                UnitFinished(f, now, events);
                break;
            case SchedulerProtocol.RetryDue r when units.TryGetValue(r.JobId, out var unit) && unit.Phase == JobPhase.Retrying && !Cancelled:
                events.Add(new JobQueued(r.JobId, now));
                break;
            case SchedulerProtocol.Advance when Started:
                Advance(now, events);
                break;
        }
        return events;
    }

    public void Apply(IRunEvent e)
    {
        switch (e)
        {
            case RunStarted started:
                Started = true;
                StartedAt = started.At;
                for (var i = 0; i < jobs.Length; i++)
                    if (jobs[i].RemainingNeeds == 0)
                        ready.Add(jobs[i]);
                break;
            case MatrixExpanded expanded:
            {
                var job = Job(expanded.JobId);
                Decided(job.Index);
                for (var cell = 0; cell < expanded.Cells.Count; cell++)
                {
                    var matrix = ExpressionValue.TryParseJson(expanded.Cells[cell].MatrixJson, out var value, out _) ? value : ExpressionValue.Null;
                    AddUnit(job, new UnitState(expanded.Cells[cell].Id, job.Index, cell, matrix));
                }
                break;
            }
            case JobQueued queued:
                Queued(queued.JobId);
                break;
            case JobStarted started:
            {
                var unit = units[started.JobId];
                queue.Remove(unit);
                unit.Phase = JobPhase.Running;
                unit.StartedAt = started.At;
                unit.Attempt = started.Attempt;
                unit.StepsFinished = 0;
                jobs[unit.Node].UnitsRunning++;
                Running++;
                break;
            }
            case JobSkipped skipped:
                Skipped(skipped);
                break;
            case JobCarried carried:
            {
                var job = Job(carried.JobId);
                Decided(job.Index);
                var unit = new UnitState(carried.JobId, job.Index, 0, null);
                AddUnit(job, unit);
                unit.Outputs = carried.Outputs;
                unit.Reason = $"carried from run {carried.FromRunId}";
                UnitDone(unit, carried.Result, carried.Result, failsWorkflow: carried.Result == Result.Failure);
                break;
            }
            case StepStarted step:
                units[step.JobId].CurrentStep = step.Title;
                units[step.JobId].Process = step.Pid is { } pid ? new Execution.ProcessIdentity(pid, step.ProcessStartTicks) : null;
                break;
            case StepFinished step:
                units[step.JobId].StepsFinished++;
                units[step.JobId].Process = null;
                break;
            // An attempt whose start the journal lost (see Resume): counted, the unit left where it is (or, not queued yet, it
            // starts counting from there when it is).
            case JobInterrupted lost when !units.ContainsKey(lost.JobId):
                lostAttempts[lost.JobId] = Math.Max(lostAttempts.GetValueOrDefault(lost.JobId), lost.Attempt);
                break;
            case JobInterrupted lost when units[lost.JobId] is var unit && (unit.Phase != JobPhase.Running || unit.Attempt != lost.Attempt):
                if (lost.Attempt > unit.Attempt)
                {
                    unit.Interrupted += lost.Attempt - unit.Attempt;
                    unit.Attempt = lost.Attempt;
                }
                break;
            case JobInterrupted interrupted:
            {
                var unit = units[interrupted.JobId];
                Running--;
                jobs[unit.Node].UnitsRunning--;
                unit.Interrupted++;
                unit.CurrentStep = null;
                unit.Process = null;
                unit.Phase = JobPhase.Queued;
                queue.Add(unit);
                break;
            }
            case JobCancelling cancelling:
                units[cancelling.JobId].Reason = cancelling.Reason;
                break;
            case JobFinished finished:
            {
                var unit = units[finished.JobId];
                Running--;
                jobs[unit.Node].UnitsRunning--;
                unit.TimedOut = finished.TimedOut;
                unit.Reason = finished.Error ?? unit.Reason;
                unit.Duration = finished.Duration;
                unit.CurrentStep = null;
                unit.Process = null;
                unit.Outputs = finished.Outputs ?? UnitState.Empty;
                unit.Result = finished.Result;
                unit.CacheKey = finished.CacheKey;
                if (finished.Retrying)
                    unit.Phase = JobPhase.Retrying;
                else
                    UnitDone(unit, finished.Result, EffectiveResult(unit, finished.Result, finished.TimedOut), FailsWorkflow(unit, finished.Result, finished.TimedOut));
                break;
            }
            case RunCancelling:
                Cancelled = true;
                break;
            case RunFinished finished:
                Finished = true;
                RunResult = finished.Result;
                break;
        }
    }

    private bool IsRunning(string unitId) => units.TryGetValue(unitId, out var unit) && unit.Phase == JobPhase.Running;

    /// <summary>
    /// A recovered run goes on: what was running is queued again (its processes were killed by the actor
    /// first), a retry whose timer died with the process is due now, and an attempt that the process ledger saw
    /// start but the journal never recorded is recorded as interrupted (the unit keeps its place: its needs may
    /// themselves have to run again).
    /// </summary>
    private void Resume(IReadOnlyDictionary<string, int>? ledgerAttempts, DateTimeOffset now, List<IRunEvent> events)
    {
        foreach (var job in jobs)
            foreach (var unit in job.units)
            {
                if (unit.Phase == JobPhase.Running)
                    events.Add(new JobInterrupted(unit.Id, unit.Attempt, now));
                else if (unit.Phase == JobPhase.Retrying && !Cancelled)
                    events.Add(new JobQueued(unit.Id, now));
            }
        foreach (var (unitId, started) in ledgerAttempts ?? new Dictionary<string, int>())
        {
            var known = units.TryGetValue(unitId, out var unit) ? unit.Attempt : lostAttempts.GetValueOrDefault(unitId);
            if (started > known && unit?.Phase != JobPhase.Done)
                events.Add(new JobInterrupted(unitId, started, now));
        }
    }

    /// <summary>
    /// Whether a step process of attempt <paramref name="attempt"/> of unit <paramref name="unitId"/>, recorded in the process
    /// ledger, may have outlived a dead run: the journal has that attempt running, or never saw it start.
    /// </summary>
    public bool MayBeLeftRunning(string unitId, int attempt) =>
        !units.TryGetValue(unitId, out var unit) || attempt > unit.Attempt || unit.Phase == JobPhase.Running && unit.Attempt == attempt;

    /// <summary>Units running now with a step process journaled: what is left of a dead run.</summary>
    public IEnumerable<UnitState> RunningUnits() => units.Values.Where(u => u.Phase == JobPhase.Running);


    private void AddUnit(JobState job, UnitState unit)
    {
        if (lostAttempts.Remove(unit.Id, out var lost))
            (unit.Attempt, unit.Interrupted) = (lost, lost);
        unit.ContinueOnError = expressions.ContinueOnError(job.Index, unit.Matrix, this);
        job.units.Add(unit);
        job.UnitsLeft++;
        job.Phase = JobPhase.Running;
        units[unit.Id] = unit;
    }

    /// <summary>A job leaves the ready list once it is decided: queued, expanded or skipped.</summary>
    private void Decided(int node)
    {
        ready.Remove(jobs[node]);
        jobs[node].FailedOrUpstream = UpstreamFailed(node);
    }

    private void Queued(string unitId)
    {
        if (!units.TryGetValue(unitId, out var unit))
        {
            // The first JobQueued of a job without a matrix creates its one unit.
            var job = Job(unitId);
            Decided(job.Index);
            unit = new UnitState(unitId, job.Index, 0, null);
            AddUnit(job, unit);
        }
        unit.Phase = JobPhase.Queued;
        queue.Add(unit);
    }

    private void Skipped(JobSkipped skipped)
    {
        if (units.TryGetValue(skipped.JobId, out var unit))
        {
            queue.Remove(unit);
            unit.Reason = skipped.Reason;
            UnitDone(unit, skipped.Result, skipped.Result, skipped.Result == Result.Failure && !unit.ContinueOnError);
            return;
        }
        // A whole job that never ran: its `if` was false, its needs failed, or its matrix could not be worked out.
        var job = Job(skipped.JobId);
        Decided(job.Index);
        job.Reason = skipped.Reason;
        var effective = skipped.Result == Result.Failure && expressions.ContinueOnError(job.Index, null, this) ? Result.Success : skipped.Result;
        if (skipped.Result == Result.Failure && effective == Result.Failure)
            workflowFailed = true;
        doneWithoutUnits++;
        JobDone(job, skipped.Result, effective);
    }

    private void UnitDone(UnitState unit, Result result, Result effective, bool failsWorkflow)
    {
        unit.Phase = JobPhase.Done;
        unit.Result = result;
        unit.EffectiveResult = effective;
        if (failsWorkflow)
            workflowFailed = true;
        var job = jobs[unit.Node];
        if (--job.UnitsLeft > 0)
            return;
        JobDone(job, Combined(job.units, u => u.Result), Combined(job.units, u => u.EffectiveResult));
    }

    /// <summary>A matrix job's result, as GitHub combines cells: any failure, else any cancel, else success (skipped when all skipped).</summary>
    private static Result Combined(List<UnitState> cells, Func<UnitState, Result?> of)
    {
        if (cells.Count == 0)
            return Result.Skipped;
        if (cells.Any(c => of(c) == Result.Failure))
            return Result.Failure;
        if (cells.Any(c => of(c) == Result.Cancelled))
            return Result.Cancelled;
        return cells.All(c => of(c) == Result.Skipped) ? Result.Skipped : Result.Success;
    }

    private void JobDone(JobState job, Result result, Result effective)
    {
        job.Phase = JobPhase.Done;
        job.Result = result;
        job.EffectiveResult = effective;
        job.FailedOrUpstream = effective == Result.Failure || UpstreamFailed(job.Index);
        doneCount++;
        foreach (var dependent in plan.Graph.DependentsOf(job.Index))
        {
            if (--jobs[dependent].RemainingNeeds == 0)
                ready.Add(jobs[dependent]);
        }
    }

    private bool UpstreamFailed(int index)
    {
        foreach (var need in plan.Graph.NeedsOf(index))
            if (jobs[need].FailedOrUpstream)
                return true;
        return false;
    }

    private static Result EffectiveResult(UnitState unit, Result result, bool timedOut) =>
        (result == Result.Failure || timedOut) && unit.ContinueOnError ? Result.Success
        : timedOut ? Result.Failure
        : result;

    private static bool FailsWorkflow(UnitState unit, Result result, bool timedOut) =>
        (result == Result.Failure || timedOut) && !unit.ContinueOnError;

    private void UnitFinished(SchedulerProtocol.JobFinished f, DateTimeOffset now, List<IRunEvent> events)
    {
        var unit = units[f.JobId];
        var job = plan.Jobs[unit.Node];
        var failed = f.Result == Result.Failure || f.TimedOut;
        var counted = unit.Attempt - unit.Interrupted;
        var retry = failed && !Cancelled && !unit.ContinueOnError && job.Retry is { } policy && counted < policy.MaxAttempts;
        var delay = retry ? job.Retry!.DelayBefore(counted + 1) : TimeSpan.Zero;
        events.Add(new JobFinished(f.JobId, f.Result, f.TimedOut, f.Error, f.Duration, now, f.Outputs, retry, delay, f.CacheKey, f.CachedFrom));
        if (!failed || retry || unit.ContinueOnError || unit.Matrix is null || !expressions.FailFast(unit.Node, this))
            return;
        // fail-fast: the first failed cell cancels its siblings.
        var reason = $"cancelled by fail-fast: '{unit.Id}' failed";
        foreach (var sibling in jobs[unit.Node].units)
        {
            if (sibling == unit)
                continue;
            switch (sibling.Phase)
            {
                case JobPhase.Running:
                    events.Add(new JobCancelling(sibling.Id, reason, now));
                    break;
                case JobPhase.Queued or JobPhase.Retrying or JobPhase.Pending:
                    events.Add(new JobSkipped(sibling.Id, Result.Cancelled, reason, now));
                    break;
            }
        }
    }

    /// <summary>One step of what follows from the state: decide readied jobs, else skip what a cancel stops, else fill free slots, else finish.</summary>
    private void Advance(DateTimeOffset now, List<IRunEvent> events)
    {
        foreach (var job in ready)
            Decide(job.Index, now, events);
        if (events.Count > 0)
            return;
        if (Cancelled)
        {
            foreach (var unit in units.Values)
            {
                if (unit.Phase is JobPhase.Queued or JobPhase.Retrying && !expressions.ShouldRun(unit.Node, StatusOf(unit.Node), this).Run)
                    events.Add(new JobSkipped(unit.Id, Result.Cancelled, "the run was cancelled before it started", now));
            }
            if (events.Count > 0)
                return;
        }
        Dispatch(now, events);
        if (events.Count > 0)
            return;
        if (doneCount == jobs.Length)
        {
            var result = Cancelled ? Result.Cancelled : workflowFailed ? Result.Failure : Result.Success;
            events.Add(new RunFinished(result, now - (StartedAt ?? now), now));
        }
    }

    /// <summary>A job whose needs are all done: skip it, queue it, or expand its matrix into queued cells.</summary>
    private void Decide(int index, DateTimeOffset now, List<IRunEvent> events)
    {
        var id = jobs[index].Id;
        if (plan.Carried.TryGetValue(id, out var carried))
        {
            events.Add(new JobCarried(id, carried.Result, carried.Outputs, carried.FromRunId, now));
            return;
        }
        var decision = expressions.ShouldRun(index, StatusOf(index), this);
        if (decision.Error is { } error)
        {
            events.Add(new JobSkipped(id, Result.Failure, error, now));
            return;
        }
        if (!decision.Run)
        {
            var (reason, cause) = SkipReason(index, decision.Explanation);
            events.Add(new JobSkipped(id, Cancelled ? Result.Cancelled : Result.Skipped, reason, now, cause));
            return;
        }
        if (plan.Jobs[index].Strategy?.Matrix is null)
        {
            events.Add(new JobQueued(id, now));
            return;
        }
        var cells = expressions.ExpandMatrix(index, this, out var matrixError);
        if (cells is null)
        {
            events.Add(new JobSkipped(id, Result.Failure, matrixError!, now));
            return;
        }
        events.Add(new MatrixExpanded(id, cells, now));
        foreach (var cell in cells)
            events.Add(new JobQueued(cell.Id, now));
    }

    /// <summary>A need that did not succeed explains the skip when the <c>if</c> would have held had every need succeeded.</summary>
    private (string Reason, string? Cause) SkipReason(int index, string explanation)
    {
        if (expressions.ShouldRun(index, new StatusContext(true, false, Cancelled), this).Run)
        {
            foreach (var need in plan.Graph.NeedsOf(index))
            {
                var result = jobs[need].EffectiveResult;
                if (result != Result.Success)
                    return ($"needs '{jobs[need].Id}', which {(jobs[need].TimedOut ? "timed out" : result == Result.Failure ? "failed" : result == Result.Cancelled ? "was cancelled" : "was skipped")}", jobs[need].Id);
            }
        }
        return (explanation, null);
    }

    private void Dispatch(DateTimeOffset now, List<IRunEvent> events)
    {
        var free = plan.MaxParallel - Running;
        if (free <= 0 || queue.Count == 0)
            return;
        Dictionary<int, int>? startedPerJob = null;
        var busyGroups = jobGroups ? RunningGroups() : null;
        foreach (var unit in queue)
        {
            if (free == 0)
                break;
            var node = unit.Node;
            var job = jobs[node];
            // Units of one job-level concurrency group never run at the same time; the next waits its turn in the queue.
            if (busyGroups is not null && plan.Jobs[node].Concurrency is not null && !busyGroups.Add(expressions.JobGroupOf(unit, this)))
                continue;
            if (expressions.MaxParallelCells(node, this) is { } limit)
            {
                startedPerJob ??= [];
                var already = job.UnitsRunning + startedPerJob.GetValueOrDefault(node);
                if (already >= limit)
                    continue;
                startedPerJob[node] = startedPerJob.GetValueOrDefault(node) + 1;
            }
            events.Add(new JobStarted(unit.Id, unit.Attempt + 1, now, expressions.TitleOf(unit, this)));
            free--;
        }
    }

    private HashSet<string> RunningGroups()
    {
        var groups = new HashSet<string>(StringComparer.Ordinal);
        foreach (var unit in units.Values)
            if (unit.Phase == JobPhase.Running && plan.Jobs[unit.Node].Concurrency is not null)
                groups.Add(expressions.JobGroupOf(unit, this));
        return groups;
    }

    private StatusContext StatusOf(int index)
    {
        var succeeded = true;
        foreach (var need in plan.Graph.NeedsOf(index))
            if (jobs[need].EffectiveResult != Result.Success)
            {
                succeeded = false;
                break;
            }
        return new StatusContext(succeeded, UpstreamFailed(index), Cancelled);
    }

    /// <summary>Longest remaining chain first (so the critical path is never starved), then file order, then cell order.</summary>
    private sealed class DispatchOrder(RunPlan plan) : IComparer<UnitState>
    {
        public int Compare(UnitState? a, UnitState? b)
        {
            if (ReferenceEquals(a, b))
                return 0;
            var byPriority = plan.Priority[b!.Node].CompareTo(plan.Priority[a!.Node]);
            if (byPriority != 0)
                return byPriority;
            var byNode = a.Node.CompareTo(b.Node);
            return byNode != 0 ? byNode : a.Cell.CompareTo(b.Cell);
        }
    }
}
