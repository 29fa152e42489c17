using Loom.Actors.Protocol;
using Loom.Core.Model;
using static Loom.Actors.Protocol.RunEvents;

namespace Loom.Cli.Output;

/// <summary>What the terminal knows of each job, folded from the run's events; feeds the live view and the summary.</summary>
public sealed class RunTally
{
    private readonly Dictionary<string, JobLine> byId = new(StringComparer.Ordinal);

    public IReadOnlyList<JobLine> Jobs { get; private set; } = [];
    public RunStarted? Started { get; private set; }
    public RunFinished? Finished { get; private set; }
    public bool Cancelling { get; private set; }

    public JobLine this[string id] => byId[id];

    public void Apply(IRunNotification n)
    {
        switch (n)
        {
            case RunStarted started:
                Started = started;
                Jobs = started.Jobs.Select((id, i) => byId[id] = new JobLine(id, i)).ToArray();
                break;
            case JobQueued q:
                byId[q.JobId].State = JobLineState.Queued;
                break;
            case JobStarted s:
                byId[s.JobId].State = JobLineState.Running;
                byId[s.JobId].StartedAt = s.At;
                break;
            case StepStarted s:
                byId[s.JobId].Step = s.Title;
                break;
            case StepFinished s when s.Conclusion == Result.Failure:
                byId[s.JobId].FailedStep = byId[s.JobId].Step;
                byId[s.JobId].Reason ??= s.Error ?? (s.ExitCode is { } code ? $"exit code {code}" : null);
                break;
            case JobSkipped s:
                byId[s.JobId].Finish(s.Result, s.Reason, TimeSpan.Zero);
                break;
            case JobFinished f:
                byId[f.JobId].Finish(f.Result, f.Error ?? byId[f.JobId].Reason, f.Duration);
                break;
            case RunCancelling:
                Cancelling = true;
                break;
            case RunFinished f:
                Finished = f;
                break;
        }
    }
}

public enum JobLineState { Pending, Queued, Running, Done }

public sealed class JobLine(string id, int index)
{
    public string Id { get; } = id;
    public int Index { get; } = index;
    public JobLineState State { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public TimeSpan Duration { get; private set; }
    public string? Step { get; set; }
    public string? FailedStep { get; set; }
    public Result? Result { get; private set; }
    public string? Reason { get; set; }

    public void Finish(Result result, string? reason, TimeSpan duration)
    {
        State = JobLineState.Done;
        Result = result;
        Reason = reason;
        Duration = duration;
        Step = null;
    }
}
