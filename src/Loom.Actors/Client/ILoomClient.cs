using Loom.Actors.Persistence;
using Loom.Actors.Protocol;
using Loom.Core.Model;

namespace Loom.Actors.Client;

/// <summary>
/// What a .NET host does with Loom: submit workflows, observe and cancel runs, read the run history. Registered in a
/// host's services by <c>AddLoomClient()</c> beside <c>AddAkka(..., akka =&gt; akka.WithLoom(...))</c>; with
/// <c>WithLoomCluster</c> instead, the same calls go to the cluster's run coordinator. See <c>docs/embedding.md</c>.
/// </summary>
/// <remarks>
/// Every method waits for the host's actor system to have started Loom's actors. A workflow that does not validate is
/// not an exception: its submission comes back refused, with one <c>file:line:col: error: message</c> line per problem.
/// </remarks>
public interface ILoomClient
{
    /// <summary>
    /// Runs the workflow file at <paramref name="path"/> (relative to the current directory); its steps run in the file's
    /// folder (for <c>.github/workflows/*.yml</c>, the repository's root) unless <see cref="LoomRunRequest.Workspace"/> says.
    /// Returns once the run is accepted (it goes on in the background) or refused.
    /// </summary>
    Task<LoomSubmission> SubmitFileAsync(string path, LoomRunRequest? request = null, CancellationToken cancellationToken = default);

    /// <summary>Runs the workflow in <paramref name="yaml"/>; its steps run in <see cref="LoomRunRequest.Workspace"/>, else the options' workspace.</summary>
    Task<LoomSubmission> SubmitTextAsync(string yaml, LoomRunRequest? request = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Goes on with a run the journal holds unfinished (its host stopped, or was killed, mid-run), as <c>loom run --resume</c>
    /// does: what succeeded is kept, what was running is killed if anything is left of it and runs again, with the
    /// definition and inputs the run was started with. Secrets are never journaled: <see cref="LoomRunRequest.Secrets"/>
    /// gives them again (and <see cref="LoomRunRequest.MaxParallel"/> may change); the other request fields are ignored.
    /// Only for a run no other process is running.
    /// </summary>
    Task<LoomSubmission> ResumeAsync(string runId, LoomRunRequest? request = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// The run's notifications as <c>loom run --json</c> prints them (<see cref="RunNotificationJson"/>): for a run this
    /// client started, everything from its acceptance on (a late observer gets what was kept first: every event, and up to
    /// 10 000 output lines), ending with <see cref="RunEvents.RunFinished"/> or <see cref="LoomProtocol.RunRejected"/>.
    /// For a run that is over, or that another process started, what its journal holds (no output lines: they are in its
    /// step logs). Ends by itself when the run does.
    /// </summary>
    /// <exception cref="KeyNotFoundException">No run has that id (thrown at the first step of the enumeration).</exception>
    IAsyncEnumerable<IRunNotification> ObserveAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>Cancels a run this client started, as Ctrl-C does (steps with <c>always()</c> or <c>cancelled()</c> still run); false when it is not going on here.</summary>
    Task<bool> CancelAsync(string runId, string? reason = null, CancellationToken cancellationToken = default);

    /// <summary>Every run the journal holds, newest first (a run shows once its first event is written).</summary>
    /// <exception cref="NotSupportedException">The host's journal has no read side Loom knows (see <c>LoomPersistenceOptions.QueryPluginId</c>).</exception>
    Task<IReadOnlyList<RunSummary>> RunsAsync(CancellationToken cancellationToken = default);

    /// <summary>One run: its state, result and each job's result and reason; null when no run has that id.</summary>
    Task<LoomRunDetails?> GetRunAsync(string runId, CancellationToken cancellationToken = default);
}

/// <summary>How to run a submitted workflow: what <c>loom run</c>'s options say on the command line.</summary>
public sealed record LoomRunRequest
{
    private static readonly IReadOnlyDictionary<string, string> None = new Dictionary<string, string>();

    /// <summary>The run's id; null for a new one (<c>yyyyMMdd-HHmmss-xxxx</c>, as <c>loom run</c> makes them).</summary>
    public string? RunId { get; init; }

    /// <summary><c>--job</c>: run these jobs and what they need; empty for all.</summary>
    public IReadOnlyList<string> Jobs { get; init; } = [];

    /// <summary><c>--input NAME=VALUE</c>: the <c>inputs</c> context.</summary>
    public IReadOnlyDictionary<string, string> Inputs { get; init; } = None;

    /// <summary><c>--var NAME=VALUE</c>: the <c>vars</c> context.</summary>
    public IReadOnlyDictionary<string, string> Vars { get; init; } = None;

    /// <summary>The <c>secrets</c> context: masked in every output, never journaled.</summary>
    public IReadOnlyDictionary<string, string> Secrets { get; init; } = None;

    /// <summary><c>--event</c>: <c>loom.event_name</c>.</summary>
    public string EventName { get; init; } = "push";

    /// <summary><c>--event-file</c>'s content: the <c>loom.event</c> payload as JSON.</summary>
    public string EventJson { get; init; } = "{}";

    /// <summary><c>-j</c>: most jobs at once; null for the workflow's <c>max-parallel</c>, else the processor count.</summary>
    public int? MaxParallel { get; init; }

    /// <summary><c>--no-cache</c>.</summary>
    public bool NoCache { get; init; }

    /// <summary><c>--skip-uses</c>: leave <c>uses:</c> steps out with a warning instead of refusing the workflow.</summary>
    public bool SkipUses { get; init; }

    /// <summary>Where the steps run (created if missing); null for the file's folder, or the options' workspace for text.</summary>
    public string? Workspace { get; init; }

    /// <summary>How the errors and the history name a workflow submitted as text.</summary>
    public string TextName { get; init; } = "inline.loom.yml";
}

/// <summary>The answer to a submission: accepted (the run goes on) or refused, with why.</summary>
/// <param name="Errors">Why it was refused: <c>file:line:col: error: message</c> lines for an invalid workflow; empty when accepted.</param>
/// <param name="Warnings">What loading the workflow warned of, as <c>file:line:col: warning: message</c> lines.</param>
public sealed record LoomSubmission(string RunId, bool Accepted, IReadOnlyList<string> Errors, IReadOnlyList<string> Warnings);

public enum LoomRunState
{
    /// <summary>Accepted, its first event not yet applied.</summary>
    Accepted,

    Running,

    Finished,

    /// <summary>Refused before it started (an invalid workflow, unknown jobs): nothing ran.</summary>
    Rejected,

    /// <summary>The journal has no end for it and it is not going on here: its process was killed, or another process runs it.</summary>
    Unfinished,
}

/// <param name="Result">The run's result once it is <see cref="LoomRunState.Finished"/>.</param>
/// <param name="Jobs">Each job or matrix cell in the order the run listed them.</param>
public sealed record LoomRunDetails(
    string RunId,
    string Workflow,
    LoomRunState State,
    Result? Result,
    DateTimeOffset? StartedAt,
    TimeSpan? Duration,
    IReadOnlyList<LoomJobDetails> Jobs)
{
    /// <summary>Why the run was refused, when it was.</summary>
    public IReadOnlyList<string> Errors { get; init; } = [];

    /// <summary>The folder of its step logs (<c>&lt;job&gt;.&lt;attempt&gt;.log</c>), when they are kept in files.</summary>
    public string? LogsFolder { get; init; }
}

/// <param name="Result">Null while it has not ended.</param>
/// <param name="Reason">Why it failed, was skipped or cancelled, when there is one.</param>
public sealed record LoomJobDetails(string Id, LoomJobState State, Result? Result, string? Reason, TimeSpan Duration, int Attempt)
{
    /// <summary>The job's <c>outputs</c> (secrets masked) once it succeeded.</summary>
    public IReadOnlyDictionary<string, string> Outputs { get; init; } = new Dictionary<string, string>();
}

public enum LoomJobState
{
    Pending,
    Queued,
    Running,
    Done,
}
