using Loom.Actors.Execution;
using Loom.Actors.Protocol;
using Loom.Core.Expressions;

namespace Loom.Actors.Scheduling;

public sealed partial class RunState
{
    /// <summary>This state as a snapshot; <see cref="Restore"/> of it, then the events after it, gives the state replaying every event gives.</summary>
    public RunSnapshot ToSnapshot() => new(Started, Cancelled, Finished, RunResult, StartedAt, workflowFailed,
        jobs.Select(job => new JobSnapshot(job.Id, job.OwnPhase, job.Result, job.EffectiveResult, job.OwnReason, job.FailedOrUpstream,
            job.units.Select(u => new UnitSnapshot(u.Id, u.Cell, u.Matrix?.ToJson(), u.Phase, u.Result, u.EffectiveResult, u.ContinueOnError, u.TimedOut,
                u.Reason, u.StartedAt, u.Duration, u.CurrentStep, u.StepsFinished, u.Attempt, u.Interrupted, u.Outputs, u.CacheKey,
                u.Process?.Pid, u.Process?.StartTimeTicks ?? 0)).ToArray())).ToArray());

    /// <summary>Replaces this fresh state (nothing applied yet) with <paramref name="snapshot"/>, taken of a run of the same plan.</summary>
    public void Restore(RunSnapshot snapshot)
    {
        if (Started || units.Count > 0)
            throw new InvalidOperationException("a snapshot is restored into a fresh state only");
        if (snapshot.Jobs.Count != jobs.Length || snapshot.Jobs.Where((j, i) => j.Id != jobs[i].Id).Any())
            throw new InvalidOperationException($"the snapshot is of another plan than run {plan.RunId}'s");
        (Started, Cancelled, Finished, RunResult, StartedAt, workflowFailed) =
            (snapshot.Started, snapshot.Cancelled, snapshot.Finished, snapshot.RunResult, snapshot.StartedAt, snapshot.WorkflowFailed);
        for (var i = 0; i < jobs.Length; i++)
        {
            var (job, saved) = (jobs[i], snapshot.Jobs[i]);
            (job.Phase, job.Result, job.EffectiveResult, job.Reason, job.FailedOrUpstream) =
                (saved.Phase, saved.Result, saved.EffectiveResult, saved.Reason, saved.FailedOrUpstream);
            foreach (var u in saved.Units)
            {
                var matrix = u.MatrixJson is { } json && ExpressionValue.TryParseJson(json, out var value, out _) ? value : null;
                var unit = new UnitState(u.Id, i, u.Cell, matrix)
                {
                    Phase = u.Phase, Result = u.Result, EffectiveResult = u.EffectiveResult, ContinueOnError = u.ContinueOnError,
                    TimedOut = u.TimedOut, Reason = u.Reason, StartedAt = u.StartedAt, Duration = u.Duration, CurrentStep = u.CurrentStep,
                    StepsFinished = u.StepsFinished, Attempt = u.Attempt, Interrupted = u.Interrupted, Outputs = u.Outputs, CacheKey = u.CacheKey,
                    Process = u.ProcessId is { } pid ? new ProcessIdentity(pid, u.ProcessStartTimeTicks) : null,
                };
                job.units.Add(unit);
                units[unit.Id] = unit;
                if (unit.Phase != JobPhase.Done)
                    job.UnitsLeft++;
                if (unit.Phase == JobPhase.Running)
                {
                    job.UnitsRunning++;
                    Running++;
                }
                if (unit.Phase == JobPhase.Queued)
                    queue.Add(unit);
            }
        }
        // What follows from those facts: needs left, the ready list and the counters.
        foreach (var job in jobs)
        {
            job.RemainingNeeds = plan.Graph.NeedsOf(job.Index).Count(n => jobs[n].OwnPhase != JobPhase.Done);
            if (job.OwnPhase == JobPhase.Done)
            {
                doneCount++;
                if (job.units.Count == 0)
                    doneWithoutUnits++;
            }
            else if (Started && job.RemainingNeeds == 0 && job.units.Count == 0)
                ready.Add(job);
        }
    }
}
