using Loom.Cli.Output;
using Loom.Core.Model;

namespace Loom.Cli.History;

/// <summary>
/// What <c>loom why</c> reads of a run: each job's result and the reason it ended that way, folded
/// from the run's journaled events (<see cref="RunHistory"/>). Reasons are masked before they become events.
/// </summary>
public sealed record RunRecord(string RunId, string Workflow, string Result, IReadOnlyList<JobRecord> Jobs)
{
    public static RunRecord From(RunTally tally) => new(
        tally.Started?.RunId ?? "",
        tally.Started?.Workflow ?? "",
        tally.Finished?.Result.ToWire() ?? "cancelled",
        tally.Jobs.Select(j => new JobRecord(j.Id, j.Result?.ToWire() ?? "cancelled", j.Reason, j.Cause, j.FailedStep, j.FailedExitCode)).ToArray());
}

/// <param name="Cause">The need that made this job skip, when that is why.</param>
public sealed record JobRecord(string Id, string Result, string? Reason, string? Cause, string? FailedStep, int? ExitCode);
