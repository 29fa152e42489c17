using Akka.Actor;
using Loom.Actors;
using Loom.Actors.Client;
using Loom.Actors.Hosting;
using Loom.Actors.Protocol;
using Loom.Cluster.Protocol;
using Loom.Cluster.Runners;
using Loom.Cluster.Storage;
using Loom.Core.Workspaces;

namespace Loom.Cluster.Client;

/// <summary>
/// The <see cref="ILoomClient"/> of a clustered host (<c>WithLoomCluster</c>): runs go to the cluster's run coordinator
/// through this node's singleton proxy, and are followed as <c>loom run --cluster</c> follows them. The workflow travels as
/// text; the files of its folder do not (its steps run in an empty folder on the nodes). The history is the cluster's
/// journal (PostgreSQL); step logs are in the cluster's store, not in files here.
/// </summary>
internal sealed class ClusterLoomClient(ActorSystem system, IActorRef coordinator, LoomOptions options) : LoomClientBase(system, options)
{
    protected override bool SendsFilesByPath => false;

    protected override string? LogsFolderOf(string runId) => null;

    /// <summary>The coordinator keeps the runs of one concurrency group apart, whoever submitted them.</summary>
    protected override bool KeepsGroups => false;

    /// <summary>The coordinator goes on with every unfinished run by itself when it starts.</summary>
    protected override string? ResumeRefusal => "a cluster's coordinator goes on with unfinished runs by itself";

    /// <summary>
    /// A run of a file takes its folder's files along, as <c>loom run --cluster</c> does: only what the cluster lacks is sent
    /// (<see cref="ClusterProtocol.FindMissingBlobs"/>, then chunks). A cluster that keeps no files (its nodes have no
    /// <c>--db</c>) gets the run without them, with a warning.
    /// </summary>
    protected override async Task<Submission> PrepareAsync(Submission submission, CancellationToken cancellationToken)
    {
        if (!submission.OfFile)
            return submission;
        WorkspaceManifest manifest;
        try
        {
            manifest = WorkspaceScanner.Scan(submission.Workspace, WorkspaceScanner.DefaultMaxTotalBytes, cancellationToken);
        }
        catch (WorkspaceTooLargeException e)
        {
            throw new InvalidOperationException(e.Message, e);
        }
        var manifestBytes = manifest.ToBytes();
        var manifestHash = BlobHash.Of(manifestBytes);
        var wanted = manifest.DistinctHashes().Append(manifestHash).Distinct(StringComparer.Ordinal).ToList();
        var answer = await AskAsync(new ClusterProtocol.FindMissingBlobs(wanted), cancellationToken).ConfigureAwait(false);
        if (answer is ClusterProtocol.BlobStored { Error: { } refusal })
            return submission with { Warnings = [$"the run's files were not sent ({refusal}): its steps start in an empty folder"] };
        var missing = ((ClusterProtocol.BlobsMissing)answer).Hashes.ToHashSet(StringComparer.Ordinal);
        foreach (var file in manifest.Files.Where(f => missing.Remove(f.Hash)))
            await SendBlobAsync(file.Hash, await File.ReadAllBytesAsync(Path.Combine(submission.Workspace, file.Path), cancellationToken).ConfigureAwait(false), cancellationToken)
                .ConfigureAwait(false);
        if (missing.Remove(manifestHash))
            await SendBlobAsync(manifestHash, manifestBytes, cancellationToken).ConfigureAwait(false);
        return submission with { RemoteWorkspace = RunWorkspaces.ManifestPrefix + manifestHash };
    }

    private async Task SendBlobAsync(string hash, byte[] content, CancellationToken cancellationToken)
    {
        if (BlobHash.Of(content) != hash)
            throw new IOException($"a file changed while it was being sent (content {hash[..12]}); submit again");
        // Every chunk but the last is told; the last is asked, and its answer covers the whole blob (chunks travel in order).
        for (long offset = 0; offset + BlobUpload.ChunkBytes < content.Length; offset += BlobUpload.ChunkBytes)
            coordinator.Tell(new ClusterProtocol.BlobChunk(hash, offset, content.Length, content[(int)offset..(int)(offset + BlobUpload.ChunkBytes)]));
        var last = content.Length == 0 ? 0 : (content.Length - 1) / BlobUpload.ChunkBytes * BlobUpload.ChunkBytes;
        var stored = (ClusterProtocol.BlobStored)await AskAsync(new ClusterProtocol.BlobChunk(hash, last, content.Length, content[last..]), cancellationToken).ConfigureAwait(false);
        if (stored.Error is { } error)
            throw new IOException($"the cluster did not store a file ({hash[..12]}): {error}");
    }

    private Task<object> AskAsync(ILoomClusterMessage message, CancellationToken cancellationToken) =>
        coordinator.Ask<object>(message, ClusterSubmitter.AskTimeout, cancellationToken);

    protected override void Send(Submission submission, IActorRef feed)
    {
        var request = submission.Request;
        var submit = new ClusterProtocol.SubmitRun(submission.RunId, submission.Text!, submission.WorkflowPath, submission.DisplayPath, submission.RemoteWorkspace ?? "", request.Jobs,
            request.MaxParallel, submission.Contexts, request.SkipUses, request.NoCache, Follow: true);
        System.ActorOf(RunFollower.Props(message => coordinator.Tell(message), submit, notification => feed.Tell(notification), ended: null, refusal: null));
    }

    protected override void Cancel(string runId, string reason) => coordinator.Tell(new ClusterProtocol.CancelRun(runId, reason));
}

