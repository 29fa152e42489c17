using Loom.Core.Model;
using Loom.Core.Planning;

namespace Loom.Core.Watching;

/// <summary>
/// What a reloaded workflow changed, job by job (compared through <see cref="JobDefinition"/>, so a comment or a
/// blank line changes nothing), and what watch mode runs again: the changed and added jobs and every job that needs
/// them, in the new graph.
/// </summary>
/// <param name="Added">Jobs only the new workflow has, in its file order.</param>
/// <param name="Removed">Jobs only the old workflow had, in its file order.</param>
/// <param name="Changed">Jobs in both whose definition differs, in the new file order.</param>
/// <param name="ToRun">Added, changed and their dependents, in the new graph's dependency order.</param>
public sealed record WorkflowDiff(
    IReadOnlyList<string> Added,
    IReadOnlyList<string> Removed,
    IReadOnlyList<string> Changed,
    IReadOnlyList<string> ToRun)
{
    public bool IsEmpty => Added.Count == 0 && Removed.Count == 0 && Changed.Count == 0;

    public static WorkflowDiff Between(Workflow previous, Workflow current)
    {
        var before = previous.Jobs.ToDictionary(j => j.Id, j => JobDefinition.Canonical(previous, j), StringComparer.Ordinal);
        var currentIds = current.Jobs.Select(j => j.Id).ToHashSet(StringComparer.Ordinal);
        var added = new List<string>();
        var changed = new List<string>();
        foreach (var job in current.Jobs)
        {
            if (!before.TryGetValue(job.Id, out var definition))
                added.Add(job.Id);
            else if (definition != JobDefinition.Canonical(current, job))
                changed.Add(job.Id);
        }
        var removed = previous.Jobs.Select(j => j.Id).Where(id => !currentIds.Contains(id)).ToList();
        return new WorkflowDiff(added, removed, changed, WithDependents(JobGraph.FromWorkflow(current), added.Concat(changed)));
    }

    /// <summary>One pass in dependency order, so a job's needs are decided before it: O(V+E) even when every job changed.</summary>
    private static string[] WithDependents(JobGraph graph, IEnumerable<string> jobs)
    {
        var run = new bool[graph.Count];
        foreach (var id in jobs)
            run[graph.IndexOf(id)] = true;
        var result = new List<string>();
        foreach (var job in graph.TopologicalOrder)
        {
            run[job] = run[job] || graph.NeedsOf(job).Any(need => run[need]);
            if (run[job])
                result.Add(graph.IdOf(job));
        }
        return result.ToArray();
    }
}
