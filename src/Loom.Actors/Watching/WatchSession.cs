using Loom.Actors.Protocol;
using Loom.Core.Model;
using Loom.Core.Parsing;
using Loom.Core.Planning;
using Loom.Core.Watching;
using static Loom.Actors.Protocol.RunEvents;

namespace Loom.Actors.Watching;

/// <summary>What a <see cref="WatchSession"/> asks its actor to do.</summary>
public abstract record WatchDecision
{
    /// <summary>Run <paramref name="ToRun"/> as run <paramref name="RunId"/>, carrying every other job (closed under needs).</summary>
    /// <param name="Triggers">Why: the jobs changes triggered (empty for the first, full cycle).</param>
    public sealed record StartCycle(string RunId, int Number, IReadOnlyList<JobTrigger> Triggers, IReadOnlyList<string> ToRun,
        IReadOnlyDictionary<string, CarriedJob> Carried) : WatchDecision;

    /// <summary>Restart: cancel the running cycle; the next one starts when it has ended.</summary>
    public sealed record CancelCycle(string RunId, IReadOnlyList<JobTrigger> Triggers) : WatchDecision;

    /// <summary>Changes that arrived while a cycle runs and wait for it to end (<paramref name="Ignored"/>: dropped).</summary>
    public sealed record Busy(IReadOnlyList<JobTrigger> Triggers, bool Ignored) : WatchDecision;

    public sealed record Reloaded(WorkflowDiff Diff) : WatchDecision;

    public sealed record Rejected(IReadOnlyList<string> Errors) : WatchDecision;

    /// <summary>Delete these cycle runs from the journal: the session keeps only its newest few.</summary>
    public sealed record Forget(IReadOnlyList<string> RunIds) : WatchDecision;
}

/// <summary>
/// The decisions of a <c>loom watch</c> session, without actors or timers: which changes count for which job, when
/// a cycle starts and with what, what the on-busy policy does, what each job's latest result is (what the next
/// cycle carries), which workflow is in force and which old cycles to forget. One cycle runs at a time.
/// </summary>
/// <remarks>
/// A change does not trigger a job that has seen it or may have made it: one that arrived while the job was to run
/// in the current cycle (not yet started: it will read the file; running: it may have written it) or within
/// <c>grace</c> after it finished (its own last writes may be reported after its end). The intersection over
/// every arrival of a path is kept, so a path changed again once the job is done still triggers it.
/// </remarks>
public sealed class WatchSession
{
    private readonly string sessionId;
    private readonly string workspace;
    private readonly IgnoreRules rules;
    private readonly string? workflowFile;
    private readonly OnBusy onBusy;
    private readonly int keepRuns;
    private readonly TimeSpan grace;
    private readonly TimeProvider clock;
    private readonly ChangeBatcher batcher;
    private readonly Dictionary<string, CarriedJob> latest = new(StringComparer.Ordinal);
    private readonly List<JobTrigger> pending = [];
    private readonly Dictionary<string, HashSet<string>> excused = new(StringComparer.Ordinal);
    private readonly Queue<string> finishedRuns = new();
    // When each job last ended: its own last writes may be reported after its cycle is over.
    private readonly Dictionary<string, long> finishedAt = new(StringComparer.Ordinal);
    private ChangeRouter router;
    private JobGraph graph;
    private Cycle? cycle;
    private int cycles;

    /// <param name="workflowFile">The workflow file relative to the workspace ('/' separators), when inside it.</param>
    /// <param name="grace">How long after a job ends a change still counts as its own write.</param>
    public WatchSession(string sessionId, Workflow workflow, string workflowText, string workspace, IgnoreRules rules, string? workflowFile,
        OnBusy onBusy, TimeSpan debounce, TimeSpan grace, int keepRuns, TimeProvider clock)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(keepRuns, 1);
        this.sessionId = sessionId;
        this.workspace = workspace;
        this.rules = rules;
        this.workflowFile = workflowFile;
        this.onBusy = onBusy;
        this.keepRuns = keepRuns;
        this.grace = grace;
        this.clock = clock;
        batcher = new ChangeBatcher(clock, debounce, debounce * 10 > ChangeBatcher.DefaultMaxWait ? debounce * 10 : ChangeBatcher.DefaultMaxWait);
        Workflow = workflow;
        WorkflowText = workflowText;
        router = new ChangeRouter(workflow, workspace, rules, workflowFile);
        graph = JobGraph.FromWorkflow(workflow);
    }

    /// <summary>The workflow in force: the last version that loaded.</summary>
    public Workflow Workflow { get; private set; }

    public string WorkflowText { get; private set; }

    /// <summary>The run of the cycle going on, if any.</summary>
    public string? RunningCycle => cycle?.RunId;

    /// <summary>The running cycle is to be cancelled (restart).</summary>
    public bool CancelRequested => cycle?.CancelRequested == true;

    /// <summary>Each job's latest result and outputs in this session: what a cycle that does not run it carries.</summary>
    public IReadOnlyDictionary<string, CarriedJob> Latest => latest;

    /// <summary>The first cycle: every job.</summary>
    public WatchDecision.StartCycle Begin() => StartCycle([]);

    /// <summary>A file changed; returns when to ask <see cref="TryTakeBatch"/> (null: nothing waits).</summary>
    public TimeSpan? Changed(FileChange change)
    {
        batcher.Add(change);
        if (change.RelativePath is { } path)
        {
            var seenBy = SeenBy(clock.GetTimestamp());
            if (excused.TryGetValue(path, out var jobs))
                jobs.IntersectWith(seenBy);
            else
                excused[path] = seenBy;
        }
        return batcher.DueIn;
    }

    /// <summary>The settled batch, if ready, with per job the paths it does not react to; else when to ask again.</summary>
    public bool TryTakeBatch(out ChangeBatch? batch, out IReadOnlyDictionary<string, IReadOnlySet<string>> excusedPaths, out TimeSpan? askAgainIn)
    {
        if (!batcher.TryTake(out batch))
        {
            excusedPaths = new Dictionary<string, IReadOnlySet<string>>();
            askAgainIn = batcher.DueIn;
            return false;
        }
        var byJob = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var path in batch.Paths)
        {
            if (!excused.Remove(path, out var jobs))
                continue;
            foreach (var job in jobs)
            {
                if (!byJob.TryGetValue(job, out var paths))
                    byJob[job] = paths = new HashSet<string>(StringComparer.Ordinal);
                paths.Add(path);
            }
        }
        excusedPaths = byJob.ToDictionary(p => p.Key, p => (IReadOnlySet<string>)p.Value, StringComparer.Ordinal);
        askAgainIn = null;
        return true;
    }

    /// <summary>Whether the batch holds the workflow file: the caller loads it and passes the result to <see cref="Batch"/>.</summary>
    public bool TouchesWorkflow(ChangeBatch batch) =>
        workflowFile is not null && batch.Paths.Any(p => p == workflowFile);

    /// <summary>A settled batch: reload the workflow if it changed, route the rest, and start, queue, restart or ignore.</summary>
    /// <param name="reloaded">The workflow file loaded again, when the batch holds it.</param>
    public IReadOnlyList<WatchDecision> Batch(ChangeBatch batch, IReadOnlyDictionary<string, IReadOnlySet<string>> excusedPaths, LoadResult? reloaded)
    {
        var decisions = new List<WatchDecision>();
        var definitionTriggers = reloaded is null ? [] : Reload(reloaded, decisions);
        var fileTriggers = router.Route(batch, excusedPaths);
        if (definitionTriggers.Count == 0 && fileTriggers.Count == 0)
            return decisions;
        if (cycle is null)
        {
            decisions.Add(StartCycle(Merge(definitionTriggers, fileTriggers)));
            return decisions;
        }
        switch (onBusy)
        {
            case OnBusy.Ignore:
                // A changed job must run once under its new definition, or its old result would be carried on.
                AddPending(definitionTriggers);
                if (definitionTriggers.Count > 0)
                    decisions.Add(new WatchDecision.Busy(definitionTriggers, Ignored: false));
                if (fileTriggers.Count > 0)
                    decisions.Add(new WatchDecision.Busy(fileTriggers, Ignored: true));
                break;
            case OnBusy.Restart when !cycle.CancelRequested && Merge(definitionTriggers, fileTriggers).Any(t => cycle.Unfinished.Contains(t.JobId)):
                var triggers = Merge(definitionTriggers, fileTriggers);
                AddPending(triggers);
                cycle.CancelRequested = true;
                decisions.Add(new WatchDecision.CancelCycle(cycle.RunId, triggers));
                break;
            default:
                var queued = Merge(definitionTriggers, fileTriggers);
                AddPending(queued);
                decisions.Add(new WatchDecision.Busy(queued, Ignored: false));
                break;
        }
        return decisions;
    }

    /// <summary>A notification of the running cycle: keeps each job's latest result and what is still unfinished.</summary>
    public void Observe(IRunNotification notification)
    {
        if (cycle is null)
            return;
        switch (notification)
        {
            case MatrixExpanded m:
                cycle.CellsOf[m.JobId] = m.Cells.Select(c => c.Id).ToList();
                foreach (var cell in m.Cells)
                    cycle.JobOfCell[cell.Id] = m.JobId;
                break;
            case JobFinished { Retrying: false } f:
                UnitDone(f.JobId, f.Result, f.Outputs ?? new Dictionary<string, string>());
                break;
            case JobSkipped s:
                UnitDone(s.JobId, s.Result, new Dictionary<string, string>());
                break;
            case JobCarried c:
                // Already in the table; the cycle that ran it stays its origin.
                cycle.Unfinished.Remove(c.JobId);
                break;
        }
    }

    /// <summary>
    /// The running cycle's run is over (finished, or refused). Starts the next cycle when changes are queued or the
    /// cycle was cancelled to restart (the jobs it did not finish run again), and forgets the oldest cycles.
    /// </summary>
    public IReadOnlyList<WatchDecision> CycleEnded(bool stopping)
    {
        var decisions = new List<WatchDecision>();
        if (cycle is null)
            return decisions;
        var restart = cycle.CancelRequested;
        finishedRuns.Enqueue(cycle.RunId);
        // A job that did not finish is out of the table: the next cycle runs it.
        foreach (var job in cycle.Unfinished)
            latest.Remove(job);
        cycle = null;
        var forgotten = new List<string>();
        while (finishedRuns.Count > keepRuns)
            forgotten.Add(finishedRuns.Dequeue());
        if (forgotten.Count > 0)
            decisions.Add(new WatchDecision.Forget(forgotten));
        if (!stopping && (pending.Count > 0 || restart))
        {
            var triggers = pending.ToList();
            pending.Clear();
            decisions.Add(StartCycle(triggers));
        }
        return decisions;
    }

    /// <summary>The jobs that will read a change made now or may have made it: to run or running in this cycle, or ended within the grace.</summary>
    private HashSet<string> SeenBy(long now)
    {
        var jobs = new HashSet<string>(cycle?.Unfinished ?? [], StringComparer.Ordinal);
        foreach (var (job, ended) in finishedAt)
            if (clock.GetElapsedTime(ended, now) < grace)
                jobs.Add(job);
        return jobs;
    }

    private WatchDecision.StartCycle StartCycle(IReadOnlyList<JobTrigger> triggers)
    {
        var run = new bool[graph.Count];
        foreach (var trigger in triggers)
            if (graph.Contains(trigger.JobId))
                run[graph.IndexOf(trigger.JobId)] = true;
        var toRun = new List<string>();
        var carried = new Dictionary<string, CarriedJob>(StringComparer.Ordinal);
        foreach (var index in graph.TopologicalOrder)
        {
            var id = graph.IdOf(index);
            // Dependents run again with what they need; a job with no result in this session yet runs too.
            run[index] = run[index] || !latest.ContainsKey(id) || graph.NeedsOf(index).Any(need => run[need]);
            if (run[index])
                toRun.Add(id);
            else
                carried[id] = latest[id];
        }
        cycles++;
        var runId = $"{sessionId}-{cycles}";
        cycle = new Cycle(runId, toRun);
        return new WatchDecision.StartCycle(runId, cycles, triggers, toRun, carried);
    }

    private IReadOnlyList<JobTrigger> Reload(LoadResult reloaded, List<WatchDecision> decisions)
    {
        if (reloaded.Workflow is not { } workflow)
        {
            decisions.Add(new WatchDecision.Rejected(reloaded.Errors.Select(e => e.ToString()).ToList()));
            return [];
        }
        if (reloaded.Text == WorkflowText)
            return [];
        ChangeRouter newRouter;
        try
        {
            newRouter = new ChangeRouter(workflow, workspace, rules, workflowFile);
        }
        catch (FormatException e)
        {
            decisions.Add(new WatchDecision.Rejected([$"{workflow.FilePath}: error: {e.Message}"]));
            return [];
        }
        var diff = WorkflowDiff.Between(Workflow, workflow);
        Workflow = workflow;
        WorkflowText = reloaded.Text ?? WorkflowText;
        router = newRouter;
        graph = JobGraph.FromWorkflow(workflow);
        foreach (var removed in diff.Removed)
            latest.Remove(removed);
        pending.RemoveAll(t => !graph.Contains(t.JobId));
        decisions.Add(new WatchDecision.Reloaded(diff));
        var toRun = diff.ToRun.ToHashSet(StringComparer.Ordinal);
        var path = workflowFile ?? workflow.FilePath;
        return diff.ToRun
            .Select(id => new JobTrigger(id, path, graph.NeedsOf(graph.IndexOf(id)).Select(graph.IdOf).FirstOrDefault(toRun.Contains)))
            .ToList();
    }

    private void UnitDone(string unitId, Result result, IReadOnlyDictionary<string, string> outputs)
    {
        var current = cycle!;
        if (!current.JobOfCell.TryGetValue(unitId, out var job))
        {
            JobDone(unitId, EffectiveResult(unitId, result), outputs);
            return;
        }
        current.CellResults[unitId] = (result, outputs);
        var cells = current.CellsOf[job];
        if (!cells.All(current.CellResults.ContainsKey))
            return;
        // A matrix job is carried whole: results combined as GitHub does, outputs merged in cell order.
        var results = cells.Select(c => current.CellResults[c].Result).ToList();
        var combined = results.Contains(Result.Failure) ? Result.Failure
            : results.Contains(Result.Cancelled) ? Result.Cancelled
            : results.All(r => r == Result.Skipped) ? Result.Skipped
            : Result.Success;
        var merged = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var cell in cells)
            foreach (var (name, value) in current.CellResults[cell].Outputs)
                merged[name] = value;
        JobDone(job, combined, merged);
    }

    private void JobDone(string job, Result result, IReadOnlyDictionary<string, string> outputs)
    {
        var current = cycle!;
        if (!current.Unfinished.Remove(job))
            return;
        finishedAt[job] = clock.GetTimestamp();
        if (result == Result.Cancelled)
            current.Unfinished.Add(job); // cancelled, not finished: it runs again in the next cycle
        else
            latest[job] = new CarriedJob(current.RunId, result, outputs);
    }

    /// <summary>
    /// What dependents saw: a failure under a literal <c>continue-on-error: true</c> counts as success, as in the run.
    /// (An expression there is not evaluated again; the raw result is carried.)
    /// </summary>
    private Result EffectiveResult(string jobId, Result result)
    {
        var job = Workflow.Jobs.FirstOrDefault(j => j.Id == jobId);
        return result == Result.Failure && job?.ContinueOnError is { Expression: null, Value: true } ? Result.Success : result;
    }

    private void AddPending(IEnumerable<JobTrigger> triggers)
    {
        foreach (var trigger in triggers)
            if (!pending.Any(p => p.JobId == trigger.JobId))
                pending.Add(trigger);
    }

    private static List<JobTrigger> Merge(IReadOnlyList<JobTrigger> first, IReadOnlyList<JobTrigger> second)
    {
        var merged = first.ToList();
        foreach (var trigger in second)
            if (!merged.Any(m => m.JobId == trigger.JobId))
                merged.Add(trigger);
        return merged;
    }

    private sealed class Cycle(string runId, IEnumerable<string> jobs)
    {
        public string RunId { get; } = runId;

        /// <summary>The jobs this cycle runs that have no result yet (or were cancelled); the others are carried or done.</summary>
        public HashSet<string> Unfinished { get; } = new(jobs, StringComparer.Ordinal);

        public Dictionary<string, List<string>> CellsOf { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, string> JobOfCell { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, (Result Result, IReadOnlyDictionary<string, string> Outputs)> CellResults { get; } = new(StringComparer.Ordinal);
        public bool CancelRequested { get; set; }
    }
}
