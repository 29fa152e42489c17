using Loom.Actors.Persistence;
using Loom.Cluster.Protocol;

namespace Loom.Cluster.Admin;

/// <summary>A request of <c>loom ctl</c> (or of one node's admin to another's): checked against the cluster secret.</summary>
public interface IAdminRequest : IClientRequest;

/// <summary>What every admin request is: it carries the secret, which stays out of its text (and so out of log lines).</summary>
public abstract record AdminRequest(string? Secret) : IAdminRequest
{
    protected virtual bool PrintMembers(System.Text.StringBuilder builder) => false;
}

/// <summary>
/// What <c>loom ctl</c> asks of the admin actor every node runs (<see cref="AdminPath"/>, reached through the cluster
/// client receptionist) and what it answers. A refused or failed request is answered with <see cref="Refused"/>.
/// </summary>
public static class AdminProtocol
{
    public const string AdminName = "loom-admin";

    public const string AdminPath = "/user/" + AdminName;

    public sealed record Refused(string Reason) : ILoomClusterMessage;

    public sealed record Done(string Message) : ILoomClusterMessage;

    // ---- the cluster ----

    public sealed record GetMembers(string? Secret = null) : AdminRequest(Secret);

    /// <param name="AnsweredBy">The node whose admin answered.</param>
    /// <param name="Coordinator">The node that holds the run coordinator singleton (the oldest Loom node).</param>
    public sealed record Members(string AnsweredBy, string? Leader, string? Coordinator, IReadOnlyList<MemberInfo> All) : ILoomClusterMessage;

    /// <param name="Running">Jobs running there as the dispatcher counts them; null when the coordinator did not answer.</param>
    public sealed record MemberInfo(string Address, string Status, bool Reachable, IReadOnlyList<string> Labels, int Capacity, int? Running, string Version, IReadOnlyList<string> Roles);

    public sealed record LeaveMember(string Address, string? Secret = null) : AdminRequest(Secret);

    public sealed record DownMember(string Address, string? Secret = null) : AdminRequest(Secret);

    /// <summary>Starts (or keeps alive: send it every few seconds) a stream of <see cref="MemberChanged"/> to the sender, the current members first.</summary>
    public sealed record TailMembers(string? Secret = null) : AdminRequest(Secret);

    public sealed record StopTail(string? Secret = null) : AdminRequest(Secret);

    /// <param name="Change">up, joined, left, exited, removed, downed, unreachable, reachable, leader, or member (the state when the tail began).</param>
    public sealed record MemberChanged(DateTimeOffset At, string Address, string Change, string Status, IReadOnlyList<string> Roles) : ILoomClusterMessage;

    // ---- the scheduler and its jobs ----

    public sealed record GetScheduler(string? Secret = null) : AdminRequest(Secret);

    /// <param name="Node">Where the run coordinator singleton lives.</param>
    /// <param name="Runs">The runs it holds (running, or finished and still followed).</param>
    public sealed record SchedulerState(string Node, IReadOnlyList<string> Runs, IReadOnlyList<JobPlacement> Running, IReadOnlyList<JobPlacement> Waiting) : ILoomClusterMessage;

    /// <param name="Node">Where the job runs; null while it waits.</param>
    /// <param name="Tries">How many nodes refused this attempt before.</param>
    public sealed record JobPlacement(string RunId, string JobId, int Attempt, string? Node, IReadOnlyList<string> RunsOn, int Tries, string EntityId);

    // ---- per node (the admin that is asked gathers every node's answer) ----

    /// <summary>Runner shards and their entities on every node.</summary>
    public sealed record GetShards(string? Secret = null) : AdminRequest(Secret);

    public sealed record Shards(IReadOnlyList<NodeShards> Nodes, IReadOnlyList<string> Unanswered) : ILoomClusterMessage;

    public sealed record NodeShards(string Node, IReadOnlyList<ShardInfo> Shards) : ILoomClusterMessage;

    public sealed record ShardInfo(string ShardId, IReadOnlyList<string> Entities);

    /// <param name="Node">One node's address, or null for every node.</param>
    public sealed record GetActors(string? Node, int Depth, string? Secret = null) : AdminRequest(Secret);

    public sealed record Actors(IReadOnlyList<NodeActors> Nodes, IReadOnlyList<string> Unanswered) : ILoomClusterMessage;

    /// <param name="Paths">Every actor down to the depth asked, as paths without the address, in tree order.</param>
    public sealed record NodeActors(string Node, IReadOnlyList<string> Paths) : ILoomClusterMessage;

    /// <param name="MinimumLevel">Verbose, Debug, Information, Warning, Error or Fatal; null for all that was kept.</param>
    public sealed record PeekLogs(string? Node, int Count, string? MinimumLevel, string? Secret = null) : AdminRequest(Secret);

    public sealed record Logs(IReadOnlyList<NodeLogs> Nodes, IReadOnlyList<string> Unanswered) : ILoomClusterMessage;

    public sealed record NodeLogs(string Node, IReadOnlyList<LogEntry> Entries) : ILoomClusterMessage;

    public sealed record LogEntry(DateTimeOffset At, string Level, string Message, string? Exception);

    /// <summary>From one node's admin to another's: its own part of <see cref="GetShards"/>, <see cref="GetActors"/> or <see cref="PeekLogs"/>.</summary>
    /// <param name="What">shards, actors or logs.</param>
    public sealed record AskNode(string What, int Depth, int Count, string? MinimumLevel, string? Secret = null) : AdminRequest(Secret);

    // ---- runs ----

    public sealed record ListRuns(string? Secret = null) : AdminRequest(Secret);

    public sealed record RunList(IReadOnlyList<RunSummary> Runs) : ILoomClusterMessage;

    /// <param name="RunId">A run id, or null for the newest run.</param>
    public sealed record GetRun(string? RunId, string? Secret = null) : AdminRequest(Secret);

    /// <summary>A run's summary and its journaled events, each as Akka serialized it (the client deserializes them the same way).</summary>
    public sealed record RunFound(RunSummary Summary, IReadOnlyList<ClusterProtocol.Serialized> Events, bool Held) : ILoomClusterMessage;


    /// <summary>A run's step output after line <paramref name="AfterSeq"/>; answered with <see cref="LogLines"/>.</summary>
    public sealed record ReadLogs(string RunId, long AfterSeq, string? Secret = null) : AdminRequest(Secret);

    /// <param name="RunHeld">The coordinator still holds the run (more may come); false once it is over.</param>
    public sealed record LogLines(IReadOnlyList<LogLine> Lines, long LastSeq, bool RunHeld) : ILoomClusterMessage;

    public sealed record LogLine(long Seq, string UnitId, int Attempt, int Step, string Line);

    public sealed record CancelRun(string RunId, string? Secret = null) : AdminRequest(Secret);

    /// <summary>Runs the failed jobs of a finished run again, and what depends on them, as a new run; answered with <see cref="Retried"/>.</summary>
    /// <param name="MaxParallel">The new run's limit (<c>--max-parallel</c>); null: the first run's.</param>
    /// <param name="NoCache">Run <c>cache: true</c> jobs whatever the cache holds (<c>--no-cache</c>).</param>
    public sealed record RetryRun(string RunId, int? MaxParallel = null, bool NoCache = false, string? Secret = null) : AdminRequest(Secret);

    /// <param name="Jobs">The jobs that run again (the others are carried over with their results and outputs).</param>
    public sealed record Retried(string NewRunId, string RetryOf, IReadOnlyList<string> Jobs) : ILoomClusterMessage;

    /// <param name="SkipUses">Leave out <c>uses:</c> steps with a warning instead of refusing the file (<c>--skip-uses</c>).</param>
    public sealed record ValidateWorkflow(string Text, string DisplayPath, bool SkipUses = false, string? Secret = null) : AdminRequest(Secret);

    /// <param name="Errors">Every error as <c>file:line:col: error: message</c>; empty when the workflow is valid.</param>
    /// <param name="Warnings">What loaded but deserves a word (a <c>uses:</c> step left out), in the same form.</param>
    public sealed record Validated(IReadOnlyList<string> Errors, IReadOnlyList<string> Warnings, int Jobs) : ILoomClusterMessage;
}
