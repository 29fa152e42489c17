using Akka.Actor;
using Loom.Actors.Running;
using Loom.Core.Workspaces;

namespace Loom.Cluster.Runners;

/// <summary>What every runner entity of one node shares: the node's shard id, its job folders, the runs' files and its gate.</summary>
/// <param name="Gate">The node's <c>NodeGate</c> (slots, step process records, drain); null where none runs (tests of placement alone).</param>
/// <param name="ProcessesFolder">The gate's records, where each entity keeps its job's process ledger; null: none kept.</param>
public sealed record RunnerNode(string ShardId, JobFilesPool Folders, RunWorkspaces Workspaces, IActorRef? Gate, string? ProcessesFolder = null);

/// <summary>
/// The folder each run's steps run in on this node: <c>&lt;node workspace&gt;/runs/&lt;run&gt;/work</c>, made once per run and node
/// however many of its jobs run here (entities of one run share one task). A run submitted with its files
/// (<c>cluster:&lt;manifest hash&gt;</c>) gets them materialised there from <paramref name="blobs"/>.
/// </summary>
public sealed class RunWorkspaces(string root, IBlobSource? blobs)
{
    /// <summary>How a run's workspace names the files it was submitted with.</summary>
    public const string ManifestPrefix = "cluster:";

    private readonly Dictionary<string, Task<string>> prepared = new(StringComparer.Ordinal);
    private readonly Lock gate = new();

    public string Root { get; } = Path.GetFullPath(root);

    public Task<string> PrepareAsync(string runId, string workspace)
    {
        lock (gate)
        {
            if (!prepared.TryGetValue(runId, out var task) || task.IsFaulted)
                prepared[runId] = task = Task.Run(() => PrepareAsync(runId, workspace, CancellationToken.None));
            return task;
        }
    }

    private async Task<string> PrepareAsync(string runId, string workspace, CancellationToken cancellationToken)
    {
        if (runId.IndexOfAny(['/', '\\']) >= 0 || runId is "." or "..")
            throw new ArgumentException($"run id '{runId}' cannot name a folder");
        var folder = Path.Combine(Root, "runs", runId, "work");
        Directory.CreateDirectory(folder);
        if (workspace.Length == 0)
            return folder;
        if (!workspace.StartsWith(ManifestPrefix, StringComparison.Ordinal) || !BlobHash.IsValid(workspace[ManifestPrefix.Length..]))
            throw new ArgumentException($"'{workspace}' does not name a run's files");
        if (blobs is null)
            throw new InvalidOperationException("this node has no blob store (start it with --db)");
        WorkspaceManifest manifest;
        await using (var stream = await blobs.OpenReadAsync(workspace[ManifestPrefix.Length..], cancellationToken))
        {
            using var bytes = new MemoryStream();
            await stream.CopyToAsync(bytes, cancellationToken);
            manifest = WorkspaceManifest.FromBytes(bytes.ToArray());
        }
        await WorkspaceMaterializer.MaterializeAsync(manifest, folder, blobs, cancellationToken);
        return folder;
    }
}
