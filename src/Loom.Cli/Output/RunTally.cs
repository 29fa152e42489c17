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
    public List<Annotation> Annotations { get; } = [];
    public List<StepSummary> Summaries { get; } = [];

    public JobLine this[string id] => byId[id];

    public JobLine? TryGet(string id) => byId.GetValueOrDefault(id);

    public void Apply(IRunNotification n)
    {
        switch (n)
        {
            case RunStarted started:
                Started = started;
                Jobs = started.Jobs.Select((id, i) => byId[id] = new JobLine(id, i)).ToArray();
                break;
            case MatrixExpanded m:
                Expand(m);
                break;
            case JobQueued q:
                byId[q.JobId].State = JobLineState.Queued;
                break;
            case JobFinished { Retrying: true } f:
                byId[f.JobId].State = JobLineState.Queued;
                byId[f.JobId].Step = null;
                byId[f.JobId].Reason = $"attempt failed ({f.Error ?? byId[f.JobId].Reason ?? f.Result.ToWire()}); retrying in {Style.Duration(f.RetryDelay)}";
                break;
            case JobCarried c:
                byId[c.JobId].Finish(c.Result, $"carried from run {c.FromRunId}", TimeSpan.Zero);
                break;
            case JobInterrupted i:
                byId[i.JobId].State = JobLineState.Queued;
                byId[i.JobId].Step = null;
                byId[i.JobId].Reason = $"attempt {i.Attempt} interrupted (its loom was killed); running again";
                break;
            case Annotation a:
                Annotations.Add(a);
                break;
            case StepSummary summary:
                Summaries.Add(summary);
                break;
            case JobStarted s:
                byId[s.JobId].State = JobLineState.Running;
                byId[s.JobId].StartedAt = s.At;
                byId[s.JobId].Attempt = s.Attempt;
                byId[s.JobId].Title = s.Title;
                if (s.Attempt > 1)
                {
                    byId[s.JobId].Reason = null;
                    byId[s.JobId].FailedStep = null;
                }
                break;
            case StepStarted s:
                byId[s.JobId].Step = s.Title;
                break;
            case StepFinished s when s.Conclusion == Result.Failure:
                byId[s.JobId].FailedStep = byId[s.JobId].Step;
                byId[s.JobId].FailedExitCode = s.ExitCode;
                byId[s.JobId].Reason ??= s.Error ?? (s.ExitCode is { } code ? $"exit code {code}" : null);
                break;
            case JobSkipped s:
                byId[s.JobId].Finish(s.Result, s.Reason, TimeSpan.Zero);
                byId[s.JobId].Cause = s.Cause;
                break;
            case JobFinished { CachedFrom: { } source } f:
                byId[f.JobId].Finish(f.Result, $"cached from run {source}", f.Duration);
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

    /// <summary>A matrix job's line gives way to one line per cell, in its place.</summary>
    private void Expand(MatrixExpanded m)
    {
        var lines = Jobs.ToList();
        var at = lines.FindIndex(l => l.Id == m.JobId);
        if (at < 0)
            return;
        lines.RemoveAt(at);
        lines.InsertRange(at, m.Cells.Select(c => byId[c.Id] = new JobLine(c.Id, at)));
        Jobs = lines.ToArray();
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
    public int Attempt { get; set; }
    public string? Cause { get; set; }

    /// <summary>The job's evaluated <c>name</c>, when it has one.</summary>
    public string? Title { get; set; }

    /// <summary>What the live view calls the job: its id, and its name when that says something else.</summary>
    public string Label => Title is { } title && title != Id ? $"{Id} ({title})" : Id;
    public int? FailedExitCode { get; set; }

    public void Finish(Result result, string? reason, TimeSpan duration)
    {
        State = JobLineState.Done;
        Result = result;
        Reason = reason;
        Duration = duration;
        Step = null;
    }
}
