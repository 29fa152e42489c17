using Loom.Actors.Scheduling;
using Loom.Core.Model;

namespace Loom.Actors.Protocol;

/// <summary>
/// A run's scheduling state at one point of its journal (Akka.Persistence snapshot): what recovery starts from
/// instead of replaying every event before it. Jobs in the plan's graph order; what can be derived (the ready
/// list, the queue, counters) is worked out again on restore.
/// </summary>
public sealed record RunSnapshot(
    bool Started,
    bool Cancelled,
    bool Finished,
    Result? RunResult,
    DateTimeOffset? StartedAt,
    bool WorkflowFailed,
    IReadOnlyList<JobSnapshot> Jobs) : ILoomMessage;

public sealed record JobSnapshot(
    string Id,
    JobPhase Phase,
    Result? Result,
    Result? EffectiveResult,
    string? Reason,
    bool FailedOrUpstream,
    IReadOnlyList<UnitSnapshot> Units);

/// <param name="MatrixJson">The cell's <c>matrix</c> context; null for a job without a matrix.</param>
public sealed record UnitSnapshot(
    string Id,
    int Cell,
    string? MatrixJson,
    JobPhase Phase,
    Result? Result,
    Result? EffectiveResult,
    bool ContinueOnError,
    bool TimedOut,
    string? Reason,
    DateTimeOffset? StartedAt,
    TimeSpan Duration,
    string? CurrentStep,
    int StepsFinished,
    int Attempt,
    int Interrupted,
    IReadOnlyDictionary<string, string> Outputs,
    string? CacheKey,
    int? ProcessId,
    long ProcessStartTimeTicks);
