using System.Security.Cryptography;

namespace Loom.Cluster.Storage;

/// <summary>
/// One blob arriving in chunks (Akka remoting's frame limit: a submitter sends at most <see cref="ChunkBytes"/> per
/// message through the coordinator), assembled in memory when small and in a temporary file otherwise, hashed as it
/// arrives, and stored by <see cref="CompleteAsync"/> only once whole and matching its hash. Chunks must come in order;
/// a chunk received already (a resend) is ignored. Nothing is in the store until the end, so an upload cut off by a
/// coordinator failover leaves nothing behind: the submitter asks <see cref="PostgresBlobStore.MissingAsync"/> again
/// and sends the blob again. Not thread-safe: one owner (the coordinator) feeds it.
/// </summary>
public sealed class BlobUpload : IAsyncDisposable
{
    /// <summary>The most content a submitter should put in one message.</summary>
    public const int ChunkBytes = 64 * 1024;

    /// <summary>Blobs up to this size are assembled in memory.</summary>
    public const long InMemoryBytes = 1024 * 1024;

    private readonly Stream content;
    private readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    /// <param name="temporaryFolder">Where a blob above <see cref="InMemoryBytes"/> is assembled (e.g. under the node workspace); the file is deleted on dispose.</param>
    public BlobUpload(string hash, long size, string temporaryFolder)
    {
        Hash = PostgresBlobStore.Checked(hash);
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, PostgresBlobStore.MaxBlobBytes);
        Size = size;
        if (size <= InMemoryBytes)
            content = new MemoryStream((int)size);
        else
        {
            Directory.CreateDirectory(temporaryFolder);
            content = new FileStream(Path.Combine(temporaryFolder, $"upload-{hash}-{Guid.NewGuid():N}.tmp"), FileMode.CreateNew, FileAccess.ReadWrite,
                FileShare.None, 4096, FileOptions.DeleteOnClose);
        }
    }

    public string Hash { get; }

    public long Size { get; }

    /// <summary>The bytes received so far: where the next chunk starts (what to tell a submitter resuming).</summary>
    public long Received { get; private set; }

    public bool IsComplete => Received == Size;

    /// <summary>Adds the chunk that starts at <paramref name="offset"/>.</summary>
    /// <returns>False for a chunk received already, which is ignored.</returns>
    /// <exception cref="ArgumentException">The chunk leaves a gap, overlaps the end of what was received, or goes past the blob's size.</exception>
    public async Task<bool> AppendAsync(long offset, ReadOnlyMemory<byte> chunk, CancellationToken cancellationToken = default)
    {
        if (offset + chunk.Length <= Received && offset >= 0)
            return false;
        if (offset != Received)
            throw new ArgumentException($"a chunk of {Hash} starts at {offset}; {Received} bytes were received", nameof(offset));
        if (offset + chunk.Length > Size)
            throw new ArgumentException($"a chunk of {Hash} goes past its size, {Size} bytes", nameof(chunk));
        hash.AppendData(chunk.Span);
        await content.WriteAsync(chunk, cancellationToken);
        Received += chunk.Length;
        return true;
    }

    /// <summary>Checks the whole blob against its hash and stores it.</summary>
    /// <exception cref="InvalidOperationException">Not every byte has arrived.</exception>
    /// <exception cref="BlobHashMismatchException">The bytes do not match the hash: nothing is stored; upload it again.</exception>
    public async Task CompleteAsync(PostgresBlobStore store, CancellationToken cancellationToken = default)
    {
        if (!IsComplete)
            throw new InvalidOperationException($"{Hash}: {Received} of {Size} bytes received");
        var actual = Convert.ToHexStringLower(hash.GetCurrentHash());
        if (actual != Hash)
            throw new BlobHashMismatchException(Hash, actual);
        content.Position = 0;
        await store.PutCheckedAsync(Hash, content, Size, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        hash.Dispose();
        await content.DisposeAsync();
    }
}
