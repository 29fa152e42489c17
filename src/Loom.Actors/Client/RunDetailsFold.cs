using Loom.Actors.Protocol;
using Loom.Core.Model;
using static Loom.Actors.Protocol.RunEvents;

namespace Loom.Actors.Client;

/// <summary>A run's <see cref="LoomRunDetails"/>, folded from its notifications (live) or its journaled events (history).</summary>
internal sealed class RunDetailsFold(string runId)
{
    private readonly List<Job> jobs = [];
    private readonly Dictionary<string, Job> byId = new(StringComparer.Ordinal);
    private string workflow = "";
    private DateTimeOffset? startedAt;
    private RunFinished? finished;
    private LoomProtocol.RunRejected? rejected;
    private string? logsFolder;
    private bool accepted;

    public void Apply(object notification)
    {
        switch (notification)
        {
            case LoomProtocol.RunAccepted:
                accepted = true;
                break;
            case LoomProtocol.RunRejected r:
                rejected = r;
                break;
            case RunDefined d:
                workflow = d.DisplayPath;
                logsFolder = d.LogsFolder;
                break;
            case RunStarted s:
                workflow = s.Workflow;
                startedAt = s.At;
                foreach (var id in s.Jobs)
                    Add(id, jobs.Count);
                break;
            case MatrixExpanded m:
                var at = jobs.FindIndex(j => j.Id == m.JobId);
                if (at < 0)
                    break;
                jobs.RemoveAt(at);
                byId.Remove(m.JobId);
                for (var i = 0; i < m.Cells.Count; i++)
                    Add(m.Cells[i].Id, at + i);
                break;
            case JobQueued q when Find(q.JobId) is { } job:
                job.State = LoomJobState.Queued;
                break;
            case JobStarted s when Find(s.JobId) is { } job:
                job.State = LoomJobState.Running;
                job.Attempt = s.Attempt;
                job.Reason = null;
                break;
            case JobInterrupted i when Find(i.JobId) is { } job:
                job.State = LoomJobState.Queued;
                job.Attempt = Math.Max(job.Attempt, i.Attempt);
                break;
            case StepFinished { Conclusion: Result.Failure } s when Find(s.JobId) is { } job:
                job.Reason ??= s.Error ?? (s.ExitCode is { } code ? $"step {s.Step} failed with exit code {code}" : $"step {s.Step} failed");
                break;
            case JobFinished { Retrying: true } f when Find(f.JobId) is { } job:
                job.State = LoomJobState.Queued;
                job.Reason = null;
                break;
            case JobFinished f when Find(f.JobId) is { } job:
                job.Finish(f.Result, f.Error ?? job.Reason ?? (f.CachedFrom is { } from ? $"cached from run {from}" : null), f.Duration);
                job.Outputs = f.Outputs ?? job.Outputs;
                break;
            case JobSkipped s when Find(s.JobId) is { } job:
                job.Finish(s.Result, s.Reason, TimeSpan.Zero);
                break;
            case JobCarried c when Find(c.JobId) is { } job:
                job.Finish(c.Result, $"carried from run {c.FromRunId}", TimeSpan.Zero);
                job.Outputs = c.Outputs;
                break;
            case RunFinished f:
                finished = f;
                break;
        }
    }

    /// <param name="live">The run is going on in this process (else an unended journal means its process is gone, or elsewhere).</param>
    public LoomRunDetails Details(bool live)
    {
        var state = rejected is not null ? LoomRunState.Rejected
            : finished is not null ? LoomRunState.Finished
            : startedAt is not null ? (live ? LoomRunState.Running : LoomRunState.Unfinished)
            : live || accepted ? LoomRunState.Accepted
            : LoomRunState.Unfinished;
        return new LoomRunDetails(runId, workflow, state, finished?.Result, startedAt, finished?.Duration,
            jobs.Select(j => new LoomJobDetails(j.Id, j.State, j.Result, j.Reason, j.Duration, j.Attempt) { Outputs = j.Outputs }).ToList())
        {
            Errors = rejected?.Errors ?? [],
            LogsFolder = logsFolder,
        };
    }

    private Job? Find(string id) => byId.GetValueOrDefault(id);

    private void Add(string id, int index)
    {
        var job = new Job(id);
        jobs.Insert(index, job);
        byId[id] = job;
    }

    private sealed class Job(string id)
    {
        public string Id { get; } = id;
        public LoomJobState State { get; set; }
        public Result? Result { get; private set; }
        public string? Reason { get; set; }
        public TimeSpan Duration { get; private set; }
        public int Attempt { get; set; }
        public IReadOnlyDictionary<string, string> Outputs { get; set; } = new Dictionary<string, string>();

        public void Finish(Result result, string? reason, TimeSpan duration)
        {
            State = LoomJobState.Done;
            Result = result;
            Reason = result == Core.Model.Result.Success ? null : reason;
            Duration = duration;
        }
    }
}
