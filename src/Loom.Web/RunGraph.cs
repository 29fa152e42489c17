using Loom.Actors.Protocol;
using Loom.Core.Parsing;

namespace Loom.Web;

/// <summary>One job of a run's graph as the run page draws it.</summary>
/// <param name="Name">The job's <c>name</c> when it is plain text; its id when the name is an expression (the page shows the evaluated one once the job starts).</param>
/// <param name="Matrix">The job has a <c>strategy.matrix</c>: its cells appear when it is expanded.</param>
public sealed record GraphJob(string Id, string Name, IReadOnlyList<string> Needs, bool Matrix, IReadOnlyList<string> RunsOn);

/// <summary>The jobs of a run and their needs, from the workflow text its definition recorded. Never the text itself, nor any context.</summary>
public static class RunGraph
{
    /// <param name="jobs">The run's jobs (<c>RunStarted.Jobs</c>) when known: the graph keeps only those.</param>
    public static IReadOnlyList<GraphJob> Of(RunEvents.RunDefined? defined, IReadOnlyList<string>? jobs)
    {
        var wanted = jobs?.ToHashSet(StringComparer.Ordinal);
        if (defined is not null)
        {
            var limits = ParseLimits.Default with { MaxFileBytes = long.MaxValue, MaxJobs = int.MaxValue, MaxNodes = long.MaxValue };
            var loaded = WorkflowLoader.Load(defined.DisplayPath, defined.WorkflowText, limits, new LoadOptions(defined.SkipUses));
            if (loaded.Workflow is { } workflow)
            {
                var kept = workflow.Jobs.Where(j => wanted is null || wanted.Contains(j.Id)).ToList();
                var ids = kept.Select(j => j.Id).ToHashSet(StringComparer.Ordinal);
                return kept.Select(j => new GraphJob(
                        j.Id,
                        j.DisplayName is { } name && !name.Contains("${{", StringComparison.Ordinal) ? name : j.Id,
                        j.Needs.Where(ids.Contains).Distinct(StringComparer.Ordinal).ToList(),
                        j.Strategy?.Matrix is not null,
                        j.RunsOn.Where(l => !l.Contains("${{", StringComparison.Ordinal)).ToList()))
                    .ToList();
            }
        }
        // No definition recorded (or it no longer loads): the jobs without their needs.
        return (jobs ?? []).Select(id => new GraphJob(id, id, [], false, [])).ToList();
    }
}
