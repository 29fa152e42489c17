using Loom.Actors.Protocol;
using Loom.Core.Model;
using static Loom.Actors.Protocol.RunEvents;

namespace Loom.Actors.Scheduling;

public enum JobPhase { Pending, Queued, Running, Done }

/// <summary>One job as the scheduler sees it.</summary>
public sealed class JobState(int index, string id)
{
    public int Index { get; } = index;
    public string Id { get; } = id;
    public JobPhase Phase { get; internal set; }
    public Result? Result { get; internal set; }
    public bool TimedOut { get; internal set; }
    public string? Reason { get; internal set; }
    public DateTimeOffset? StartedAt { get; internal set; }
    public TimeSpan Duration { get; internal set; }
    public string? CurrentStep { get; internal set; }
    public int StepsFinished { get; internal set; }
    internal int RemainingNeeds { get; set; }

    /// <summary>This job or one of its ancestors failed (what <c>failure()</c> asks of a dependent).</summary>
    internal bool FailedOrUpstream { get; set; }

    /// <summary>The result dependents see: a failure under <c>continue-on-error</c> counts as success.</summary>
    internal Result? EffectiveResult { get; set; }
}

/// <summary>
/// A run's whole scheduling state as a plain object: <see cref="Process"/> decides (never mutates),
/// <see cref="Apply"/> changes state, one event at a time. The actor persists what Process returns
/// and applies it, so replaying the events rebuilds exactly this state.
/// </summary>
public sealed class RunState
{
    private readonly RunPlan plan;
    private readonly JobState[] jobs;
    private readonly Condition[] conditions;
    private readonly SortedSet<(int NegativePriority, int Index)> queue = new();
    private int doneCount;
    private bool workflowFailed;

    public RunState(RunPlan plan)
    {
        this.plan = plan;
        jobs = new JobState[plan.Jobs.Count];
        conditions = new Condition[jobs.Length];
        for (var i = 0; i < jobs.Length; i++)
        {
            jobs[i] = new JobState(i, plan.Jobs[i].Id) { RemainingNeeds = plan.Graph.NeedsOf(i).Count };
            conditions[i] = plan.Jobs[i].If;
        }
    }

    public RunPlan Plan => plan;
    public IReadOnlyList<JobState> Jobs => jobs;
    public bool Started { get; private set; }
    public bool Cancelled { get; private set; }
    public bool Finished { get; private set; }
    public Result? RunResult { get; private set; }
    public DateTimeOffset? StartedAt { get; private set; }
    public int Running { get; private set; }

    public JobState this[string jobId] => jobs[plan.Graph.IndexOf(jobId)];

    public IReadOnlyList<IRunEvent> Process(ILoomMessage command, DateTimeOffset now)
    {
        if (Finished)
            return [];
        var decision = new Decision(this, now);
        switch (command)
        {
            case SchedulerProtocol.Start when !Started:
                decision.Emit(new RunStarted(plan.RunId, plan.Workflow.Name, plan.Graph.Ids, plan.MaxParallel, now));
                for (var i = 0; i < jobs.Length; i++)
                    if (jobs[i].RemainingNeeds == 0)
                        decision.BecameReady(i);
                break;
            case SchedulerProtocol.Cancel cancel when Started && !Cancelled:
                decision.Cancel(cancel.Reason);
                break;
            case SchedulerProtocol.StepStarted s when IsRunning(s.JobId):
                decision.Emit(new StepStarted(s.JobId, s.Step, s.Title, now));
                break;
            case SchedulerProtocol.StepFinished s when IsRunning(s.JobId):
                decision.Emit(new StepFinished(s.JobId, s.Step, s.Outcome, s.Conclusion, s.ExitCode, s.Duration, s.Error, now));
                break;
            case SchedulerProtocol.JobFinished f when IsRunning(f.JobId):
                decision.Emit(new JobFinished(f.JobId, f.Result, f.TimedOut, f.Error, f.Duration, now));
                decision.Completed(plan.Graph.IndexOf(f.JobId), f.Result, f.TimedOut);
                break;
            default:
                return [];
        }
        decision.Dispatch();
        decision.FinishIfDone();
        return decision.Events;
    }

    public void Apply(IRunEvent e)
    {
        switch (e)
        {
            case RunStarted started:
                Started = true;
                StartedAt = started.At;
                break;
            case JobQueued queued:
            {
                var job = this[queued.JobId];
                job.Phase = JobPhase.Queued;
                job.FailedOrUpstream = UpstreamFailed(job.Index);
                queue.Add(QueueKey(job.Index));
                break;
            }
            case JobStarted started:
            {
                var job = this[started.JobId];
                queue.Remove(QueueKey(job.Index));
                job.Phase = JobPhase.Running;
                job.StartedAt = started.At;
                Running++;
                break;
            }
            case JobSkipped skipped:
            {
                var job = this[skipped.JobId];
                if (job.Phase == JobPhase.Queued)
                    queue.Remove(QueueKey(job.Index));
                job.Reason = skipped.Reason;
                job.FailedOrUpstream = UpstreamFailed(job.Index);
                MarkDone(job, skipped.Result, skipped.Result);
                break;
            }
            case StepStarted step:
                this[step.JobId].CurrentStep = step.Title;
                break;
            case StepFinished step:
                this[step.JobId].StepsFinished++;
                break;
            case JobFinished finished:
            {
                var job = this[finished.JobId];
                Running--;
                job.TimedOut = finished.TimedOut;
                job.Reason = finished.Error;
                job.Duration = finished.Duration;
                job.CurrentStep = null;
                var effective = EffectiveResult(job.Index, finished.Result, finished.TimedOut);
                job.FailedOrUpstream = effective == Result.Failure || UpstreamFailed(job.Index);
                if (FailsWorkflow(job.Index, finished.Result, finished.TimedOut))
                    workflowFailed = true;
                MarkDone(job, finished.Result, effective);
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

    private bool IsRunning(string jobId) =>
        plan.Graph.Contains(jobId) && this[jobId].Phase == JobPhase.Running;

    private (int, int) QueueKey(int index) => (-plan.Priority[index], index);

    private void MarkDone(JobState job, Result result, Result effective)
    {
        job.Phase = JobPhase.Done;
        job.Result = result;
        job.EffectiveResult = effective;
        doneCount++;
        foreach (var dependent in plan.Graph.DependentsOf(job.Index))
            jobs[dependent].RemainingNeeds--;
    }

    private bool UpstreamFailed(int index)
    {
        foreach (var need in plan.Graph.NeedsOf(index))
            if (jobs[need].FailedOrUpstream)
                return true;
        return false;
    }

    private Result EffectiveResult(int index, Result result, bool timedOut) =>
        (result == Result.Failure || timedOut) && plan.Jobs[index].ContinueOnError ? Result.Success
        : timedOut ? Result.Failure
        : result;

    private bool FailsWorkflow(int index, Result result, bool timedOut) =>
        (result == Result.Failure || timedOut) && !plan.Jobs[index].ContinueOnError;

    /// <summary>
    /// The events one command causes, worked out against an overlay of what those events will
    /// change, so Process can cascade (a skip readies dependents, which may skip in turn) without
    /// touching the state. The cascade uses a work list: a 100 000-job chain cannot overflow the stack.
    /// </summary>
    private sealed class Decision(RunState state, DateTimeOffset now)
    {
        private readonly Dictionary<int, int> remaining = [];
        private readonly Dictionary<int, (Result Effective, bool FailedOrUpstream)> done = [];
        private readonly List<int> newlyQueued = [];
        private readonly HashSet<int> leftQueue = [];
        private readonly Queue<int> ready = new();
        private bool cancelled = state.Cancelled;
        private bool workflowFailed = state.workflowFailed;
        private int running = state.Running;

        public List<IRunEvent> Events { get; } = [];

        public void Emit(IRunEvent e) => Events.Add(e);

        public void Cancel(string reason)
        {
            Emit(new RunCancelling(reason, now));
            cancelled = true;
            foreach (var (_, index) in state.queue)
                if (!Evaluate(index))
                    Skip(index, Result.Cancelled, "the run was cancelled before it started");
            Drain();
        }

        public void Completed(int index, Result result, bool timedOut)
        {
            running--;
            var effective = state.EffectiveResult(index, result, timedOut);
            var failed = effective == Result.Failure || UpstreamFailed(index);
            if (state.FailsWorkflow(index, result, timedOut))
                workflowFailed = true;
            done[index] = (effective, failed);
            Release(index);
            Drain();
        }

        public void BecameReady(int index)
        {
            ready.Enqueue(index);
            Drain();
        }

        public void Dispatch()
        {
            var free = state.plan.MaxParallel - running;
            if (free <= 0)
                return;
            newlyQueued.Sort((a, b) => state.QueueKey(a).CompareTo(state.QueueKey(b)));
            using var existing = state.queue.Where(k => !leftQueue.Contains(k.Index)).GetEnumerator();
            var hasExisting = existing.MoveNext();
            var next = 0;
            while (free > 0 && (hasExisting || next < newlyQueued.Count))
            {
                int pick;
                if (hasExisting && (next >= newlyQueued.Count || existing.Current.CompareTo(state.QueueKey(newlyQueued[next])) < 0))
                {
                    pick = existing.Current.Index;
                    hasExisting = existing.MoveNext();
                }
                else
                    pick = newlyQueued[next++];
                Emit(new JobStarted(state.jobs[pick].Id, now));
                free--;
            }
        }

        public void FinishIfDone()
        {
            if (state.doneCount + done.Count < state.jobs.Length)
                return;
            var result = cancelled ? Result.Cancelled : workflowFailed ? Result.Failure : Result.Success;
            Emit(new RunFinished(result, now - (state.StartedAt ?? now), now));
        }

        private void Drain()
        {
            while (ready.TryDequeue(out var index))
            {
                if (Evaluate(index))
                {
                    Emit(new JobQueued(state.jobs[index].Id, now));
                    newlyQueued.Add(index);
                }
                else
                    Skip(index, cancelled ? Result.Cancelled : Result.Skipped, SkipReason(index));
            }
        }

        private void Skip(int index, Result result, string reason)
        {
            Emit(new JobSkipped(state.jobs[index].Id, result, reason, now));
            if (state.jobs[index].Phase == JobPhase.Queued)
                leftQueue.Add(index);
            done[index] = (result, UpstreamFailed(index));
            Release(index);
        }

        private void Release(int index)
        {
            foreach (var dependent in state.plan.Graph.DependentsOf(index))
            {
                var left = (remaining.TryGetValue(dependent, out var r) ? r : state.jobs[dependent].RemainingNeeds) - 1;
                remaining[dependent] = left;
                if (left == 0)
                    ready.Enqueue(dependent);
            }
        }

        private bool Evaluate(int index)
        {
            var succeeded = true;
            foreach (var need in state.plan.Graph.NeedsOf(index))
                if (Effective(need) != Result.Success)
                {
                    succeeded = false;
                    break;
                }
            return state.conditions[index].Evaluate(new StatusContext(succeeded, UpstreamFailed(index), cancelled));
        }

        /// <summary>A need that did not succeed explains the skip when the <c>if</c> would have held had every need succeeded.</summary>
        private string SkipReason(int index)
        {
            var condition = state.conditions[index];
            var wouldRunOnSuccess = condition.Evaluate(new StatusContext(true, false, cancelled));
            foreach (var need in state.plan.Graph.NeedsOf(index))
            {
                var result = Effective(need);
                if (result != Result.Success && wouldRunOnSuccess)
                    return $"needs '{state.jobs[need].Id}', which {(result == Result.Failure ? "failed" : result == Result.Cancelled ? "was cancelled" : "was skipped")}";
            }
            return $"'if: {condition.Text}' was false";
        }

        private Result? Effective(int index) =>
            done.TryGetValue(index, out var d) ? d.Effective : state.jobs[index].EffectiveResult;

        private bool UpstreamFailed(int index)
        {
            foreach (var need in state.plan.Graph.NeedsOf(index))
                if (done.TryGetValue(need, out var d) ? d.FailedOrUpstream : state.jobs[need].FailedOrUpstream)
                    return true;
            return false;
        }
    }
}
