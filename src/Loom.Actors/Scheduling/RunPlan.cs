using Loom.Core.Model;
using Loom.Core.Planning;

namespace Loom.Actors.Scheduling;

/// <summary>
/// The jobs one run will consider, their graph and dispatch priority. Built once from a validated
/// workflow (optionally cut down to <c>--job</c> targets and what they need).
/// </summary>
public sealed class RunPlan
{
    private RunPlan(string runId, Workflow workflow, IReadOnlyList<Job> jobs, JobGraph graph, int maxParallel)
    {
        RunId = runId;
        Workflow = workflow;
        Jobs = jobs;
        Graph = graph;
        MaxParallel = maxParallel;
        Priority = LongestPathToSink(graph);
    }

    public string RunId { get; }
    public Workflow Workflow { get; }
    public JobGraph Graph { get; }
    public int MaxParallel { get; }

    /// <summary>Jobs in graph index order.</summary>
    public IReadOnlyList<Job> Jobs { get; }

    /// <summary>The most jobs the run may have once its matrices are expanded (spec §7, <c>--max-jobs</c>).</summary>
    public int MaxJobs { get; private init; } = Core.Parsing.ParseLimits.Default.MaxJobs;

    /// <summary>Jobs taken as done from earlier runs (see <see cref="Protocol.CarriedJob"/>).</summary>
    public IReadOnlyDictionary<string, Protocol.CarriedJob> Carried { get; private init; } = Protocol.CarriedJob.None;

    /// <summary>Whether <c>cache: true</c> jobs may be restored from the cache (false under <c>--no-cache</c>; results are still saved).</summary>
    public bool ReadCache { get; private init; } = true;

    /// <summary>Jobs on long chains start first when slots are scarce: the number of jobs on the longest path from here to a sink.</summary>
    public IReadOnlyList<int> Priority { get; }

    /// <param name="targets">Job ids to run with everything they need; empty means every job.</param>
    /// <param name="maxJobs">The job limit, matrix cells included; null for the default.</param>
    /// <param name="carried">Jobs not to run (their needs must be carried too); null for none.</param>
    public static RunPlan Create(string runId, Workflow workflow, IReadOnlyCollection<string> targets, int maxParallel, int? maxJobs = null,
        IReadOnlyDictionary<string, Protocol.CarriedJob>? carried = null, bool readCache = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxParallel, 1);
        var graph = JobGraph.FromWorkflow(workflow);
        if (targets.Count > 0)
        {
            var unknown = targets.Where(t => !graph.Contains(t)).ToList();
            if (unknown.Count > 0)
                throw new ArgumentException($"no job named {string.Join(", ", unknown.Select(u => $"'{u}'"))} in {workflow.FilePath}");
            graph = graph.Subgraph(graph.Closure(targets.Select(graph.IndexOf)));
        }
        var byId = workflow.Jobs.ToDictionary(j => j.Id, StringComparer.Ordinal);
        var jobs = graph.Ids.Select(id => byId[id]).ToArray();
        carried ??= Protocol.CarriedJob.None;
        foreach (var id in carried.Keys)
        {
            if (!graph.Contains(id))
                throw new ArgumentException($"cannot carry job '{id}': no such job in this run");
            foreach (var need in graph.NeedsOf(graph.IndexOf(id)))
                if (!carried.ContainsKey(graph.Ids[need]))
                    throw new ArgumentException($"cannot carry job '{id}' without '{graph.Ids[need]}', which it needs");
        }
        return new RunPlan(runId, workflow, jobs, graph, maxParallel) { MaxJobs = maxJobs ?? Core.Parsing.ParseLimits.Default.MaxJobs, Carried = carried, ReadCache = readCache };
    }

    private static int[] LongestPathToSink(JobGraph graph)
    {
        var priority = new int[graph.Count];
        var order = graph.TopologicalOrder;
        for (var k = order.Count - 1; k >= 0; k--)
        {
            var job = order[k];
            var longest = 0;
            foreach (var dependent in graph.DependentsOf(job))
                longest = Math.Max(longest, priority[dependent]);
            priority[job] = longest + 1;
        }
        return priority;
    }
}
