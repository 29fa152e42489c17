using System.Collections.Concurrent;
using Loom.Core.Workspaces;

namespace Loom.Cluster.Storage;

/// <summary>
/// A node's copy of the blobs its jobs used, <c>&lt;folder&gt;/&lt;first two hex digits&gt;/&lt;hash&gt;</c>, filled
/// from <see cref="PostgresBlobStore"/>: a blob is fetched once per node, however many runs and jobs use it, and
/// concurrent requests for one blob share one fetch. A fetched blob appears by rename once checked against its hash,
/// so several processes may share the folder. Nothing is evicted yet.
/// </summary>
public sealed class NodeBlobCache(string folder, PostgresBlobStore store) : IBlobSource
{
    private readonly ConcurrentDictionary<string, Lazy<Task>> fetching = new(StringComparer.Ordinal);
    private int fetches;

    public string Folder { get; } = Path.GetFullPath(folder);

    /// <summary>How many blobs this instance fetched from the store.</summary>
    internal int Fetches => fetches;

    /// <exception cref="BlobMissingException">Neither this node nor the store has it.</exception>
    public async Task<Stream> OpenReadAsync(string hash, CancellationToken cancellationToken)
    {
        var path = PathOf(PostgresBlobStore.Checked(hash));
        if (TryOpen(path) is { } cached)
            return cached;
        // The fetch is shared, so one caller giving up does not cancel it for the others.
        var fetch = fetching.GetOrAdd(hash, h => new Lazy<Task>(() => FetchAsync(h, path)));
        try
        {
            await fetch.Value.WaitAsync(cancellationToken);
        }
        finally
        {
            if (fetch.IsValueCreated && fetch.Value.IsCompleted)
                fetching.TryRemove(new KeyValuePair<string, Lazy<Task>>(hash, fetch)); // a failed fetch is tried again next time
        }
        return TryOpen(path) ?? throw new BlobMissingException(hash);
    }

    private string PathOf(string hash) => Path.Combine(Folder, hash[..2], hash);

    private async Task FetchAsync(string hash, string path)
    {
        await Task.Yield(); // off the caller's stack: the Lazy must not run the fetch inside GetOrAdd
        Interlocked.Increment(ref fetches);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            bool found;
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                found = await store.CopyToAsync(hash, file, CancellationToken.None);
            if (!found)
                throw new BlobMissingException(hash);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private static FileStream? TryOpen(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 81920, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }
}
