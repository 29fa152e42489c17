using Akka.Actor;
using Loom.Actors.Running;

namespace Loom.Cluster.Runners;

/// <summary>What every runner entity of one node shares: the node's shard id, its job folders, the runs' files and its gate.</summary>
/// <param name="Gate">The node's <c>NodeGate</c> (slots, step process records, drain); null where none runs (tests of placement alone).</param>
public sealed record RunnerNode(string ShardId, JobFilesPool Folders, RunWorkspaces Workspaces, IActorRef? Gate);

/// <summary>
/// The folder each run's steps run in on this node: <c>&lt;node workspace&gt;/runs/&lt;run&gt;/work</c>, made once per run and node
/// however many of its jobs run here (entities of one run share one task).
/// </summary>
public sealed class RunWorkspaces(string root)
{
    private readonly Dictionary<string, Task<string>> prepared = new(StringComparer.Ordinal);
    private readonly Lock gate = new();

    public string Root { get; } = Path.GetFullPath(root);

    public Task<string> PrepareAsync(string runId, string workspace)
    {
        lock (gate)
        {
            if (!prepared.TryGetValue(runId, out var task) || task.IsFaulted)
                prepared[runId] = task = Task.Run(() => Prepare(runId, workspace));
            return task;
        }
    }

    private string Prepare(string runId, string workspace)
    {
        if (runId.IndexOfAny(['/', '\\']) >= 0 || runId is "." or "..")
            throw new ArgumentException($"run id '{runId}' cannot name a folder");
        var folder = Path.Combine(Root, "runs", runId, "work");
        Directory.CreateDirectory(folder);
        if (workspace.Length > 0)
            throw new NotSupportedException($"run files '{workspace}' cannot be set up: this node has no blob store");
        return folder;
    }
}
