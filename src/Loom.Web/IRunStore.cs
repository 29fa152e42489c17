using Loom.Actors.Persistence;
using Loom.Actors.Protocol;

namespace Loom.Web;

/// <summary>
/// What the web view reads runs from: the journal of a workspace (<c>loom run --ui</c>) or of a cluster (a node), and
/// where the runs' step logs are kept (files, or the cluster's PostgreSQL table).
/// </summary>
public interface IRunStore
{
    /// <summary>Every run recorded, newest first.</summary>
    Task<IReadOnlyList<RunSummary>> RunsAsync(CancellationToken cancellationToken);

    /// <summary>The run's journaled events after <paramref name="afterSequenceNr"/>, up to <paramref name="toSequenceNr"/>.</summary>
    Task<IReadOnlyList<(long SequenceNr, IRunEvent Event)>> EventsAsync(string runId, long afterSequenceNr, long toSequenceNr, CancellationToken cancellationToken);

    /// <summary>
    /// Whether a run that has not finished is going on somewhere (its <c>loom</c> holds the run's lock; on a cluster the
    /// coordinator goes on with every unfinished run): false once it is known to have stopped (an interrupted run).
    /// </summary>
    bool IsGoingOn(string runId);

    /// <summary>
    /// The lines of a unit's attempt's log after <paramref name="position"/> (0: from the start), as the log holds them
    /// (<c>RunLogFiles</c>): whole lines only unless <paramref name="final"/>.
    /// </summary>
    /// <param name="logsFolder">The folder the run's definition names (<c>RunDefined.LogsFolder</c>), if any.</param>
    Task<LogChunk> ReadLogAsync(string runId, string? logsFolder, string unitId, int attempt, long position, bool final, CancellationToken cancellationToken);
}

/// <param name="Position">Where the next read goes on from.</param>
public sealed record LogChunk(IReadOnlyList<string> Lines, long Position);

/// <summary>The cancel and retry buttons: the same rules as <c>loom cancel</c> and <c>loom retry</c>.</summary>
public interface IRunControl
{
    /// <summary>Null when this view cannot retry (a cluster: <c>loom retry</c> is a local command).</summary>
    string? RetryUnavailable { get; }

    Task<ControlResult> CancelAsync(string runId, CancellationToken cancellationToken);

    Task<ControlResult> RetryAsync(string runId, CancellationToken cancellationToken);
}

/// <param name="Error">Null when done; else why not, as the CLI says it.</param>
/// <param name="RunId">The new run a retry started.</param>
public sealed record ControlResult(string Message, string? Error = null, string? RunId = null)
{
    public static ControlResult Refused(string error) => new("", error);
}

/// <summary>The cluster page: the members of the cluster a node is in.</summary>
public interface IClusterView
{
    Task<ClusterInfo> ClusterAsync(CancellationToken cancellationToken);
}

public sealed record ClusterInfo(string Self, string? Leader, IReadOnlyList<ClusterMember> Members, int? Waiting);

/// <param name="Running">Jobs running there now, when the coordinator answered; null otherwise.</param>
public sealed record ClusterMember(string Address, string Status, IReadOnlyList<string> Labels, int Capacity, int? Running, bool? Accepting, bool IsSelf);
