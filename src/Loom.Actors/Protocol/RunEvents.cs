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
    public sealed record RunStarted(string RunId, string Workflow, IReadOnlyList<string> Jobs, int MaxParallel, DateTimeOffset At) : IRunEvent, IRunNotification;

    /// <summary>A job's needs are done and its <c>if</c> held: it waits for a free slot.</summary>
    public sealed record JobQueued(string JobId, DateTimeOffset At) : IRunEvent, IRunNotification;

    public sealed record JobStarted(string JobId, DateTimeOffset At) : IRunEvent, IRunNotification;

    /// <summary>A job that will not run: <see cref="Result.Skipped"/>, or <see cref="Result.Cancelled"/> when the run was cancelled first.</summary>
    public sealed record JobSkipped(string JobId, Result Result, string Reason, DateTimeOffset At) : IRunEvent, IRunNotification;

    public sealed record StepStarted(string JobId, int Step, string Title, DateTimeOffset At) : IRunEvent, IRunNotification;

    public sealed record StepFinished(string JobId, int Step, Result Outcome, Result Conclusion, int? ExitCode, TimeSpan Duration, string? Error, DateTimeOffset At) : IRunEvent, IRunNotification;

    public sealed record JobFinished(string JobId, Result Result, bool TimedOut, string? Error, TimeSpan Duration, DateTimeOffset At) : IRunEvent, IRunNotification;

    public sealed record RunCancelling(string Reason, DateTimeOffset At) : IRunEvent, IRunNotification;

    public sealed record RunFinished(Result Result, TimeSpan Duration, DateTimeOffset At) : IRunEvent, IRunNotification;

    /// <summary>One line a step printed (stdout and stderr merged in order). Not part of the state.</summary>
    public sealed record OutputLine(string JobId, int Step, string Line, DateTimeOffset At) : IRunNotification;

    /// <summary>The workflow file changed while the run went on; the run keeps the version it started with.</summary>
    public sealed record WorkflowChanged(string Path, DateTimeOffset At) : IRunNotification;
}
