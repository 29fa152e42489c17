using Akka.Actor;

namespace Loom.Actors.Protocol;

/// <summary>What watch mode does when files change while a cycle is running (watchexec's <c>--on-busy-update</c>).</summary>
public enum OnBusy
{
    /// <summary>Run the affected jobs in a cycle of their own once the running one ends.</summary>
    Queue,

    /// <summary>Cancel the running cycle (killing its steps' process trees) and run the affected and unfinished jobs.</summary>
    Restart,

    /// <summary>Drop the change (a workflow edit is still queued: the jobs it changed must run once).</summary>
    Ignore,
}

/// <summary>
/// <c>loom watch</c>: a session runs the workflow, then one journaled run (a cycle) per batch of changes that
/// concerns some job. Requests stay on this node (the session watches this node's files); what the subscriber
/// hears is an <see cref="IRunNotification"/> like a run's events.
/// </summary>
public static class WatchProtocol
{
    /// <param name="Debounce">Quiet time that closes a batch of changes.</param>
    /// <param name="KeepRuns">How many of the session's newest cycle runs stay in the journal.</param>
    public sealed record WatchSettings(
        string WorkflowPath,
        string DisplayPath,
        string Workspace,
        int? MaxParallel,
        RunContexts Contexts,
        bool SkipUses,
        TimeSpan Debounce,
        OnBusy OnBusy,
        bool Poll,
        int KeepRuns)
    {
        public const int DefaultKeepRuns = 20;
    }

    /// <summary>To the guardian: start session <paramref name="SessionId"/>; every notification goes to <paramref name="Subscriber"/>, the last being <see cref="WatchEnded"/>.</summary>
    public sealed record StartWatch(string SessionId, WatchSettings Settings, IActorRef Subscriber);

    /// <summary>To the guardian: end the session, cancelling a running cycle first.</summary>
    public sealed record StopWatch(string SessionId, string Reason);

    /// <summary>From a session to the guardian: the cycle's run is over and nothing will ask its scheduler again; stop it.</summary>
    public sealed record StopFinishedRun(string RunId);

    /// <summary>The session watches the workspace.</summary>
    /// <param name="FallbackReason">Why native events could not be had (so it polls); null otherwise.</param>
    public sealed record Watching(string Workspace, bool Polling, string? FallbackReason, DateTimeOffset At) : IRunNotification;

    /// <summary>A cycle is about to start as run <paramref name="RunId"/>.</summary>
    /// <param name="Reasons">One line per job run again and why ("build: src/a.cs changed"); empty for the first, full cycle.</param>
    /// <param name="Jobs">Every job the cycle runs; the others are carried from earlier cycles.</param>
    public sealed record CycleStarting(string RunId, int Cycle, IReadOnlyList<string> Reasons, IReadOnlyList<string> Jobs, DateTimeOffset At) : IRunNotification;

    /// <summary>Changes arrived while a cycle runs: <paramref name="Action"/> is <c>queued</c>, <c>ignored</c> or <c>restarting</c>.</summary>
    public sealed record ChangesWhileBusy(string Action, IReadOnlyList<string> Reasons, DateTimeOffset At) : IRunNotification;

    /// <summary>The workflow file changed and loads: the session runs the new version from now on.</summary>
    public sealed record WorkflowReloaded(string Path, IReadOnlyList<string> Added, IReadOnlyList<string> Removed, IReadOnlyList<string> Changed, DateTimeOffset At) : IRunNotification;

    /// <summary>The workflow file changed and does not load: <paramref name="Errors"/> as file:line:col lines; the previous version stays in force.</summary>
    public sealed record WorkflowRejected(string Path, IReadOnlyList<string> Errors, DateTimeOffset At) : IRunNotification;

    /// <summary>Old cycle runs whose journal events were deleted (the session keeps its newest few).</summary>
    public sealed record RunsForgotten(IReadOnlyList<string> RunIds, DateTimeOffset At) : IRunNotification;

    /// <summary>The session is over: the last notification.</summary>
    public sealed record WatchEnded(string Reason, DateTimeOffset At) : IRunNotification;
}
