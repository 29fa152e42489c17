using Loom.Actors.Protocol;
using Loom.Core.Model;
using Loom.Core.Parsing;
using Loom.Core.Planning;
using static Loom.Actors.Protocol.RunEvents;

namespace Loom.Actors.Scheduling;

/// <summary>
/// What <c>loom retry RUN</c> keeps of a finished run: every job that succeeded and whose needs are kept too,
/// with its outputs (a matrix job's cells merged in cell order). Everything else (the failed, cancelled and
/// skipped jobs, and what depends on them) runs again.
/// </summary>
public static class RetryPlanner
{
    /// <param name="graph">The run's graph (from the workflow text it recorded).</param>
    public static IReadOnlyDictionary<string, CarriedJob> Carried(string runId, IReadOnlyList<IRunEvent> events, JobGraph graph)
    {
        var cells = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var unitResults = new Dictionary<string, (Result Result, IReadOnlyDictionary<string, string> Outputs)>(StringComparer.Ordinal);
        foreach (var e in events)
        {
            switch (e)
            {
                case MatrixExpanded m:
                    cells[m.JobId] = m.Cells.Select(c => c.Id).ToList();
                    break;
                case JobFinished { Retrying: false } f:
                    unitResults[f.JobId] = (f.Result, f.Outputs ?? new Dictionary<string, string>());
                    break;
                case JobCarried c:
                    unitResults[c.JobId] = (c.Result, c.Outputs);
                    break;
                case JobSkipped s:
                    unitResults[s.JobId] = (s.Result, new Dictionary<string, string>());
                    break;
            }
        }
        var carried = new Dictionary<string, CarriedJob>(StringComparer.Ordinal);
        foreach (var index in graph.TopologicalOrder)
        {
            var job = graph.Ids[index];
            var units = cells.TryGetValue(job, out var ids) ? ids : [job];
            if (units.Count == 0 || !units.All(u => unitResults.TryGetValue(u, out var r) && r.Result == Result.Success))
                continue;
            if (!graph.NeedsOf(index).All(n => carried.ContainsKey(graph.Ids[n])))
                continue;
            var outputs = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var unit in units)
                foreach (var (name, value) in unitResults[unit].Outputs)
                    outputs[name] = value;
            carried[job] = new CarriedJob(runId, Result.Success, outputs);
        }
        return carried;
    }

    /// <summary>
    /// What retrying run <paramref name="retryOf"/> takes: its definition (workflow text, jobs asked for, contexts) and the
    /// jobs carried over. Throws <see cref="InvalidOperationException"/> with the reason when it cannot be retried.
    /// </summary>
    public static (RunDefined Defined, IReadOnlyDictionary<string, CarriedJob> Carried) Plan(string retryOf, IReadOnlyList<IRunEvent> events, ParseLimits limits)
    {
        if (!events.OfType<RunFinished>().Any())
            throw new InvalidOperationException($"run {retryOf} did not finish: it can be resumed, not retried");
        var defined = events.OfType<RunDefined>().FirstOrDefault()
            ?? throw new InvalidOperationException($"run {retryOf} was recorded without its definition and cannot be retried");
        var loaded = WorkflowLoader.Load(defined.DisplayPath, defined.WorkflowText, limits, new LoadOptions(defined.SkipUses));
        if (loaded.Workflow is not { } workflow)
            throw new InvalidOperationException($"run {retryOf}'s workflow no longer loads: {string.Join("; ", loaded.Errors)}");
        var graph = JobGraph.FromWorkflow(workflow);
        if (defined.Jobs.Count > 0)
            graph = graph.Subgraph(graph.Closure(defined.Jobs.Select(graph.IndexOf)));
        var carried = Carried(retryOf, events, graph);
        if (carried.Count == graph.Count)
            throw new InvalidOperationException($"run {retryOf} succeeded: nothing to retry");
        return (defined, carried);
    }
}
