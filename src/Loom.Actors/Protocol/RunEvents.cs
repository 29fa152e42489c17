using Loom.Core.Model;

namespace Loom.Actors.Protocol;

/// <summary>
/// What happened in a run. The scheduler's state is rebuilt from these (they are what a later
/// journal stores), and every subscriber sees them in order; <c>--json</c> prints them.
/// </summary>
public interface IRunEvent : ILoomMessage
{
    DateTimeOffset At { get; }
}

/// <summary>Everything a run subscriber receives: run events plus transient notifications.</summary>
public interface IRunNotification : ILoomMessage;

public static class RunEvents
{
    /// <summary>
    /// The first event of a run: what it was started with, so <c>loom run --resume</c> runs the same
    /// definition even if the file changed since. Secrets are not recorded (resume reads them again).
    /// </summary>
    /// <param name="WorkflowHash">SHA-256 of <paramref name="WorkflowText"/>, hex.</param>
    /// <param name="Jobs">The jobs asked for (<c>--job</c>); empty for all.</param>
    public sealed record RunDefined(
        string WorkflowPath,
        string DisplayPath,
        string WorkflowHash,
        string WorkflowText,
        IReadOnlyList<string> Jobs,
        int? MaxParallel,
        bool SkipUses,
        RunContexts Contexts,
        DateTimeOffset At) : IRunEvent
    {
        /// <summary>Jobs taken as done from earlier runs (<c>loom retry</c>, watch cycles).</summary>
        public IReadOnlyDictionary<string, CarriedJob> Carried { get; init; } = CarriedJob.None;

        /// <summary>Started with <c>--no-cache</c>.</summary>
        public bool NoCache { get; init; }

        /// <summary>The folder of the run's step logs (<c>Scheduling.RunLogFiles</c> names its files); null when none are kept.</summary>
        public string? LogsFolder { get; init; }

        /// <summary>Where the run's steps run: a local folder, or on a cluster the run's files (<c>cluster:&lt;manifest hash&gt;</c>).</summary>
        public string? Workspace { get; init; }
    }

    public sealed record RunStarted(string RunId, string Workflow, IReadOnlyList<string> Jobs, int MaxParallel, DateTimeOffset At) : IRunEvent, IRunNotification;

    /// <summary>
    /// A job's needs are done and its <c>if</c> held: it (or one matrix cell, or a retry) waits for a free slot.
    /// Here and below <c>JobId</c> names what runs: a job's id, or a matrix cell's id such as <c>build (linux, 8)</c>.
    /// </summary>
    public sealed record JobQueued(string JobId, DateTimeOffset At) : IRunEvent, IRunNotification;

    /// <summary>A matrix job's <c>if</c> held and its matrix was worked out: each cell now runs as a job of its own.</summary>
    public sealed record MatrixExpanded(string JobId, IReadOnlyList<MatrixCell> Cells, DateTimeOffset At) : IRunEvent, IRunNotification;

    /// <param name="Attempt">1, or higher when <c>retry</c> runs the job again.</param>
    /// <param name="Title">The job's <c>name</c>, evaluated (e.g. <c>Build linux</c>); null when it has none.</param>
    public sealed record JobStarted(string JobId, int Attempt, DateTimeOffset At, string? Title = null) : IRunEvent, IRunNotification;

    /// <summary>
    /// The job was running when its <c>loom</c> died; the resumed run killed what was left of its processes and
    /// queued it again. The attempt counts as neither a success nor a failure (<c>retry</c> does not count it).
    /// </summary>
    public sealed record JobInterrupted(string JobId, int Attempt, DateTimeOffset At) : IRunEvent, IRunNotification;

    /// <summary>A job not run again: its result and outputs are those it had in run <paramref name="FromRunId"/> (<c>loom retry</c>, watch mode).</summary>
    public sealed record JobCarried(string JobId, Result Result, IReadOnlyDictionary<string, string> Outputs, string FromRunId, DateTimeOffset At) : IRunEvent, IRunNotification;

    /// <summary>A running matrix cell is being cancelled because a sibling failed (<c>fail-fast</c>).</summary>
    public sealed record JobCancelling(string JobId, string Reason, DateTimeOffset At) : IRunEvent, IRunNotification;

    /// <summary>A job that will not run: <see cref="Result.Skipped"/>, or <see cref="Result.Cancelled"/> when the run was cancelled first.</summary>
    /// <param name="Cause">The need whose result made this job skip, for <c>loom why</c>; null when its own <c>if</c> was false.</param>
    public sealed record JobSkipped(string JobId, Result Result, string Reason, DateTimeOffset At, string? Cause = null) : IRunEvent, IRunNotification;

    /// <param name="Pid">
    /// The step's process and its start time (clock ticks after boot): a resumed run kills what is left of it after
    /// <c>loom</c> was killed, and never a process that reused the pid. Null when the step never started a process.
    /// </param>
    public sealed record StepStarted(string JobId, int Step, string Title, DateTimeOffset At, int? Pid = null, long ProcessStartTicks = 0) : IRunEvent, IRunNotification;

    public sealed record StepFinished(string JobId, int Step, Result Outcome, Result Conclusion, int? ExitCode, TimeSpan Duration, string? Error, DateTimeOffset At) : IRunEvent, IRunNotification;

    /// <param name="Outputs">The job's <c>outputs</c>, evaluated after its steps (secrets masked).</param>
    /// <param name="Retrying">The attempt failed and <c>retry</c> will run the job again after <paramref name="RetryDelay"/>.</param>
    /// <param name="CacheKey">A <c>cache: true</c> job's key; null otherwise.</param>
    /// <param name="CachedFrom">Set when the job did not run: its produced files and outputs were restored from that run's cache entry.</param>
    public sealed record JobFinished(
        string JobId,
        Result Result,
        bool TimedOut,
        string? Error,
        TimeSpan Duration,
        DateTimeOffset At,
        IReadOnlyDictionary<string, string>? Outputs = null,
        bool Retrying = false,
        TimeSpan RetryDelay = default,
        string? CacheKey = null,
        string? CachedFrom = null) : IRunEvent, IRunNotification;

    public sealed record RunCancelling(string Reason, DateTimeOffset At) : IRunEvent, IRunNotification;

    public sealed record RunFinished(Result Result, TimeSpan Duration, DateTimeOffset At) : IRunEvent, IRunNotification;

    /// <summary>One line a step printed (stdout and stderr merged in order). Not part of the state.</summary>
    /// <param name="Group">The <c>::group::</c> the line was printed in (the live view folds it), if any.</param>
    public sealed record OutputLine(string JobId, int Step, string Line, DateTimeOffset At, string? Group = null) : IRunNotification;

    /// <summary>A workflow command a step printed: <c>::error::</c>, <c>::warning::</c> or <c>::notice::</c>. Not part of the state.</summary>
    public sealed record Annotation(string JobId, int Step, string Level, string Message, string? File, int? Line, int? Column, string? Title, DateTimeOffset At) : IRunNotification;

    /// <summary>What a job's steps wrote to <c>$LOOM_STEP_SUMMARY</c>, shown at the end of the run. Not part of the state.</summary>
    public sealed record StepSummary(string JobId, string Markdown, DateTimeOffset At) : IRunNotification;

    /// <summary>The workflow file changed while the run went on; the run keeps the version it started with.</summary>
    public sealed record WorkflowChanged(string Path, DateTimeOffset At) : IRunNotification;
}

/// <summary>
/// A job a run takes as done from an earlier run instead of running it: what <c>needs</c> of its dependents
/// read. A matrix job is carried whole (its <c>needs.&lt;job&gt;.cells</c> is then empty).
/// </summary>
public sealed record CarriedJob(string FromRunId, Result Result, IReadOnlyDictionary<string, string> Outputs)
{
    public static readonly IReadOnlyDictionary<string, CarriedJob> None = new Dictionary<string, CarriedJob>();
}

/// <summary>One cell of a matrix: its display id and its <c>matrix</c> context as JSON.</summary>
public sealed record MatrixCell(string Id, string MatrixJson);
