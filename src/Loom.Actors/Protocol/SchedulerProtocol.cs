using Akka.Actor;
using Loom.Core.Model;

namespace Loom.Actors.Protocol;

/// <summary>Messages to and from a run's <see cref="Scheduling.SchedulerActor"/>.</summary>
public static class SchedulerProtocol
{
    /// <summary>Start dispatching; every notification of the run goes to <paramref name="Subscriber"/>.</summary>
    /// <param name="Resume">
    /// Go on with a run whose <c>loom</c> died: its journaled notifications are sent to the subscriber first, what
    /// is left of its step processes is killed, and the jobs it was running are queued again. Without it, a run id
    /// that already has a journal is refused.
    /// </param>
    public sealed record Start(IActorRef Subscriber, bool Resume = false) : ILoomMessage;

    /// <summary>Internal to the state: queue again what the dead run was running (after its processes are killed).</summary>
    /// <param name="LedgerAttempts">
    /// The highest attempt of each unit that the run's process ledger saw start a step (<c>ProcessLedger</c>); an attempt
    /// above the journal's was lost with the dead <c>loom</c> and is recorded as interrupted. Null: no ledger.
    /// </param>
    public sealed record Resume(IReadOnlyDictionary<string, int>? LedgerAttempts = null) : ILoomMessage
    {
        public static readonly Resume Instance = new();
    }

    public sealed record Cancel(string Reason) : ILoomMessage;

    /// <summary>From the watcher: the workflow file was written while this run goes on.</summary>
    public sealed record WorkflowFileChanged(string Path) : ILoomMessage;

    // Reports from a runner about its job.
    /// <param name="Pid">The step's process, once started (null when it never started); with its start time in clock ticks after boot.</param>
    public sealed record StepStarted(string JobId, int Step, string Title, int? Pid = null, long ProcessStartTicks = 0) : ILoomMessage;

    /// <param name="Group">The <c>::group::</c> the line was printed in, if any.</param>
    public sealed record StepOutput(string JobId, int Step, string Line, string? Group = null) : ILoomMessage;

    public sealed record StepFinished(string JobId, int Step, Result Outcome, Result Conclusion, int? ExitCode, TimeSpan Duration, string? Error) : ILoomMessage;

    /// <param name="CacheKey">A <c>cache: true</c> job's key (what its dependents' keys cover); null otherwise.</param>
    /// <param name="CachedFrom">The run whose cached result this is, when the job was not run but restored.</param>
    public sealed record JobFinished(string JobId, Result Result, bool TimedOut, string? Error, TimeSpan Duration, IReadOnlyDictionary<string, string>? Outputs = null,
        string? CacheKey = null, string? CachedFrom = null) : ILoomMessage;

    /// <summary>
    /// A runner's reports of steps that ended as they started (each step's start with its end), with the job's end when it
    /// follows them, in one message: the scheduler handles them in order, as one command. Sent before anything the runner
    /// tells on its own (a step that runs on, an annotation), at the job's end, and every 20 ms of such steps. Local to a
    /// node: a cluster's runner host passes them on one by one.
    /// </summary>
    public sealed record Reports(IReadOnlyList<ILoomMessage> Items) : INoSerializationVerificationNeeded;

    public sealed record Annotation(string JobId, int Step, string Level, string Message, string? File, int? Line, int? Column, string? Title) : ILoomMessage;

    public sealed record StepSummary(string JobId, string Markdown) : ILoomMessage;

    /// <summary>
    /// The runner of attempt <paramref name="Attempt"/> is gone without a result (its node left the cluster or was drained):
    /// the attempt is recorded as interrupted and the job queued again.
    /// </summary>
    public sealed record RunnerLost(string JobId, int Attempt, string Reason) : ILoomMessage;

    /// <summary>A failed job's <c>retry</c> backoff is over: queue its next attempt.</summary>
    public sealed record RetryDue(string JobId) : ILoomMessage;

    /// <summary>What the run's state says now; answered with <see cref="RunStatus"/> once the scheduler has recovered.</summary>
    public sealed record GetStatus : ILoomMessage
    {
        public static readonly GetStatus Instance = new();
    }

    /// <param name="Events">The sequence number of the run's last journaled event (0 before the first).</param>
    /// <param name="Jobs">Each unit that runs (a job, or a matrix cell), then each job that never got one (pending or skipped whole).</param>
    public sealed record RunStatus(string RunId, bool Started, bool Finished, Result? Result, long Events, IReadOnlyList<UnitStatus> Jobs) : ILoomMessage;

    /// <summary>Internal to the state: work out what follows from the events just applied (readied jobs, free slots).</summary>
    public sealed record Advance : ILoomMessage
    {
        public static readonly Advance Instance = new();
    }
}

/// <summary>One job or matrix cell in a <see cref="SchedulerProtocol.RunStatus"/>.</summary>
public sealed record UnitStatus(string Id, Scheduling.JobPhase Phase, Result? Result, string? Reason, TimeSpan Duration, int Attempt, int StepsFinished);

/// <summary>Messages to a <see cref="Running.RunnerActor"/>, and to a dispatcher that places runners on other nodes.</summary>
public static class RunnerProtocol
{
    public sealed record RunJob(string RunId, string Workspace, JobSpec Job) : ILoomMessage;

    /// <summary>
    /// To a run's dispatcher (a cluster's): start a runner for <paramref name="Job"/> on a node that can take it; the runner
    /// reports to <paramref name="Scheduler"/> as a local one does. A job that no node can run is answered with a failed
    /// <see cref="SchedulerProtocol.JobFinished"/>; one whose node is lost, with <see cref="SchedulerProtocol.RunnerLost"/>.
    /// </summary>
    public sealed record Dispatch(string RunId, string Workspace, JobSpec Job, IActorRef Scheduler) : ILoomMessage;

    /// <summary>To the dispatcher: cancel a dispatched job (like <see cref="CancelJob"/> to a local runner).</summary>
    public sealed record Withdraw(string RunId, string UnitId, int Attempt, string Reason) : ILoomMessage;

    /// <summary>To the dispatcher: the attempt is over (finished, lost or given up); its node's slot is free.</summary>
    public sealed record Released(string RunId, string UnitId, int Attempt) : ILoomMessage;

    /// <summary>Kill the running step's process tree; steps with <c>always()</c>/<c>cancelled()</c> still run.</summary>
    public sealed record CancelJob(string Reason) : ILoomMessage;
}
