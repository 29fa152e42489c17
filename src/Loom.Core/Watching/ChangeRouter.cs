using Loom.Core.Expressions;
using Loom.Core.Model;
using Loom.Core.Planning;

namespace Loom.Core.Watching;

/// <summary>
/// Maps changed workspace files to the jobs watch mode runs again: a job with <c>inputs</c> when a path matches them
/// (with <c>!</c> exclusions, as in <c>hashFiles</c>), a job without when any path that is not ignored changes; never
/// for a path matching the job's own <c>produces</c> or one it wrote while running; then every job that needs a
/// triggered one, transitively. Build a new router when the workflow is reloaded.
/// </summary>
public sealed class ChangeRouter
{
    private static readonly IReadOnlySet<string> NothingWritten = new HashSet<string>();

    private readonly Workflow workflow;
    private readonly JobGraph graph;
    private readonly IgnoreRules rules;
    private readonly GlobList[] inputs;
    private readonly GlobList[] produces;
    private readonly string? workflowFile;

    /// <param name="workflowFile">
    /// The workflow file relative to the workspace, when inside it: its changes reload the workflow (see
    /// <see cref="WorkflowDiff"/>) and trigger no job here.
    /// </param>
    /// <exception cref="FormatException">An <c>inputs</c> or <c>produces</c> glob has an invalid class such as <c>[z-a]</c>.</exception>
    public ChangeRouter(Workflow workflow, string workspace, IgnoreRules rules, string? workflowFile = null)
    {
        this.workflow = workflow;
        this.rules = rules;
        this.workflowFile = workflowFile is null ? null : IgnoreRules.Normalize(workflowFile);
        graph = JobGraph.FromWorkflow(workflow);
        inputs = workflow.Jobs.Select(j => GlobList.Create(j.Inputs, workspace)).ToArray();
        produces = workflow.Jobs.Select(j => GlobList.Create(j.Produces, workspace)).ToArray();
    }

    /// <summary>The jobs to run again, in dependency order (ties in file order), each with what triggered it.</summary>
    /// <param name="writtenWhileRunning">
    /// Per job id, the paths that changed while that job was running: they do not trigger it again, so a job that
    /// writes into the workspace does not loop.
    /// </param>
    public IReadOnlyList<JobTrigger> Route(ChangeBatch batch, IReadOnlyDictionary<string, IReadOnlySet<string>>? writtenWhileRunning = null)
    {
        var triggers = new JobTrigger?[graph.Count];
        if (batch.EventsLost)
        {
            for (var job = 0; job < triggers.Length; job++)
                triggers[job] = new JobTrigger(graph.IdOf(job), null, null);
        }
        else
        {
            MatchPaths(batch.Paths, writtenWhileRunning, triggers);
        }

        var result = new List<JobTrigger>();
        foreach (var job in graph.TopologicalOrder)
        {
            triggers[job] ??= graph.NeedsOf(job).Select(need => triggers[need]).FirstOrDefault(t => t is not null) is { } upstream
                ? new JobTrigger(graph.IdOf(job), upstream.Path, upstream.JobId)
                : null;
            if (triggers[job] is { } trigger)
                result.Add(trigger);
        }
        return result;
    }

    private void MatchPaths(IReadOnlyList<string> paths, IReadOnlyDictionary<string, IReadOnlySet<string>>? writtenWhileRunning, JobTrigger?[] triggers)
    {
        foreach (var changed in paths)
        {
            var path = IgnoreRules.Normalize(changed);
            if (path == workflowFile || rules.IsIgnored(path, isDirectory: false))
                continue;
            for (var job = 0; job < triggers.Length; job++)
            {
                if (triggers[job] is not null || produces[job].Selects(path))
                    continue;
                var id = workflow.Jobs[job].Id;
                if (writtenWhileRunning?.GetValueOrDefault(id, NothingWritten).Contains(path) == true)
                    continue;
                if (inputs[job].IsEmpty || inputs[job].Selects(path))
                    triggers[job] = new JobTrigger(id, path, null);
            }
        }
    }
}
