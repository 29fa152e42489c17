using Loom.Core.Model;

namespace Loom.Core.Planning;

public sealed partial class JobGraph
{
    /// <summary>
    /// The graph of a validated workflow; index <c>i</c> is <c>workflow.Jobs[i]</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// The jobs do not form a DAG. Validation rejects that before a <see cref="Workflow"/> exists,
    /// so reaching it means a workflow was built by hand or validation has a bug.
    /// </exception>
    public static JobGraph FromWorkflow(Workflow workflow)
    {
        ArgumentNullException.ThrowIfNull(workflow);
        var jobs = workflow.Jobs;
        var nodes = new JobNode[jobs.Count];
        for (var i = 0; i < nodes.Length; i++)
            nodes[i] = new JobNode(jobs[i].Id, jobs[i].Needs);
        var result = Build(nodes);
        var duplicates = Duplicates(nodes);
        if (result.Graph is { } graph && duplicates.Count == 0)
            return graph;
        throw new InvalidOperationException(Describe(workflow, result, duplicates));
    }

    /// <summary>Build keeps the first of two equal ids, which would quietly merge their dependents.</summary>
    private static List<string> Duplicates(JobNode[] nodes)
    {
        var seen = new HashSet<string>(nodes.Length, StringComparer.Ordinal);
        var duplicates = new List<string>();
        foreach (var node in nodes)
            if (!seen.Add(node.Id))
                duplicates.Add(node.Id);
        return duplicates;
    }

    private static string Describe(Workflow workflow, GraphBuildResult result, List<string> duplicates)
    {
        var problems = new List<string>();
        problems.AddRange(duplicates.Select(id => $"duplicate job id '{id}'"));
        problems.AddRange(result.UnknownNeeds.Select(u => $"job '{workflow.Jobs[u.JobIndex].Id}' needs '{u.Need}', which does not exist"));
        problems.AddRange(result.SelfDependencies.Select(i => $"job '{workflow.Jobs[i].Id}' needs itself"));
        if (result.Cycle is { Count: > 0 } cycle)
            problems.Add($"dependency cycle: {string.Join(" -> ", cycle)}");
        return $"workflow '{workflow.Name}' ({workflow.FilePath}) has an invalid job graph: {string.Join("; ", problems)}";
    }
}
