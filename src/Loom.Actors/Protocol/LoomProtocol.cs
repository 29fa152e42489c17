using System.Text.Json.Serialization;
using Akka.Actor;
using Loom.Core.Parsing;

namespace Loom.Actors.Protocol;

/// <summary>Messages to Loom's top actor, <see cref="LoomGuardian"/>.</summary>
public static class LoomProtocol
{
    /// <summary>
    /// Run the workflow at <paramref name="WorkflowPath"/>; every notification goes to
    /// <paramref name="Subscriber"/>, starting with <see cref="RunAccepted"/> or <see cref="RunRejected"/>.
    /// </summary>
    /// <param name="DisplayPath">The path as the user typed it; errors name the file this way.</param>
    /// <param name="Jobs">Job ids to run with what they need; empty for all.</param>
    /// <param name="MaxParallel">From the command line; null means the workflow's <c>max-parallel</c>, else the processor count.</param>
    public sealed record SubmitRun(
        string RunId,
        string WorkflowPath,
        string DisplayPath,
        string Workspace,
        IReadOnlyList<string> Jobs,
        int? MaxParallel,
        IActorRef Subscriber) : ILoomMessage
    {
        /// <summary>The run's <c>loom</c>, <c>vars</c>, <c>inputs</c> and <c>secrets</c> contexts.</summary>
        public RunContexts Contexts { get; init; } = RunContexts.Empty;

        /// <summary>The workflow's text as a resumed run recorded it; null to read <see cref="WorkflowPath"/>.</summary>
        public string? WorkflowText { get; init; }

        /// <summary>
        /// <see cref="WorkflowPath"/> as the submitter already loaded it (under the guardian's limits, with <see cref="SkipUses"/>):
        /// <c>loom run</c> parses while the actor system starts. Null to load it on arrival; never sent over the wire.
        /// </summary>
        [JsonIgnore]
        public LoadResult? Loaded { get; init; }

        /// <summary>Jobs not to run: taken as done, with their results and outputs from earlier runs. Closed under needs.</summary>
        public IReadOnlyDictionary<string, CarriedJob> Carried { get; init; } = CarriedJob.None;

        /// <summary><c>--no-cache</c>: run <c>cache: true</c> jobs whatever the cache holds (their results are still saved).</summary>
        public bool NoCache { get; init; }

        /// <summary>Go on with run <see cref="RunId"/> from its journal (see <see cref="SchedulerProtocol.Start.Resume"/>).</summary>
        public bool Resume { get; init; }

        /// <summary><c>--skip-uses</c>: leave <c>uses:</c> steps out with a warning instead of refusing the file.</summary>
        public bool SkipUses { get; init; }

        /// <summary>
        /// A run whose workflow has a <c>concurrency</c> group waits, after <see cref="RunHeld"/>, for <see cref="ReleaseRun"/>:
        /// the submitter keeps runs of one group apart (<c>loom run</c> with a lock file per group).
        /// </summary>
        public bool HoldForGroup { get; init; }

        /// <summary>Tell the run's scheduler when <see cref="WorkflowPath"/> is edited while the run goes on (<see cref="RunEvents.WorkflowChanged"/>); off for a run of text.</summary>
        public bool WatchWorkflowFile { get; init; } = true;
    }

    /// <summary>The run's evaluated <c>concurrency</c> group: nothing runs (or is journaled) until <see cref="ReleaseRun"/>.</summary>
    public sealed record RunHeld(string RunId, string Group, bool CancelInProgress) : IRunNotification;

    /// <summary>
    /// A held run (<see cref="RunHeld"/>) waits for <paramref name="Holder"/>, the run going on in its group; with
    /// <paramref name="Cancelling"/> that run is being cancelled for it (<c>cancel-in-progress</c>). Told once per holder, by
    /// whoever keeps the group: <c>loom run</c>'s group lock, or a cluster's run coordinator.
    /// </summary>
    public sealed record RunWaiting(string RunId, string Group, string Holder, bool Cancelling) : IRunNotification
    {
        /// <summary>The line <c>loom run</c> prints on stderr.</summary>
        public string Line() => Cancelling ? $"cancelling run {Holder} (group {Group}, cancel-in-progress)" : $"waiting for run {Holder} (group {Group})";
    }

    /// <summary>Start a held run (<see cref="RunHeld"/>): its group is free.</summary>
    public sealed record ReleaseRun(string RunId) : ILoomMessage;

    /// <param name="Warnings">What loading the file warned of, as <c>file:line:col: warning: ...</c> lines.</param>
    public sealed record RunAccepted(string RunId, IActorRef Scheduler, IReadOnlyList<string> Warnings) : IRunNotification;

    /// <summary>The workflow is invalid or the request cannot be run: one line per problem, nothing ran.</summary>
    public sealed record RunRejected(string RunId, IReadOnlyList<string> Errors) : IRunNotification;

    public sealed record CancelRun(string RunId, string Reason) : ILoomMessage;
}
