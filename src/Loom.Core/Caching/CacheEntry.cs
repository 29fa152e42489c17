namespace Loom.Core.Caching;

/// <summary>What a cache hit gives back: the job's outputs and the files it produced, from the run that saved it.</summary>
/// <param name="Key">The job's <see cref="CacheKey"/> value.</param>
/// <param name="RunId">The run that saved it, for the <c>cached</c> report ("from run ...").</param>
public sealed record CacheEntry(
    string Key,
    string JobId,
    string RunId,
    DateTimeOffset Created,
    IReadOnlyDictionary<string, string> Outputs,
    IReadOnlyList<CachedFile> Files)
{
    /// <summary>The bytes of its produced files (blobs it shares with other entries are counted here too).</summary>
    public long Size => Files.Sum(f => f.Size);
}

/// <summary>One produced file: a regular file stored by content hash, or a symbolic link stored as its target text.</summary>
/// <param name="Path">'/'-separated, relative to the workspace.</param>
/// <param name="Hash">SHA-256 of the content (lowercase hex), the blob's name; "" for a link.</param>
/// <param name="Mode">Unix permission bits; null where the platform has none, or for a link.</param>
/// <param name="LinkTarget">The link's target as written; null for a regular file.</param>
public sealed record CachedFile(string Path, long Size, string Hash, UnixFileMode? Mode, string? LinkTarget)
{
    public bool IsExecutable => Mode is { } mode && (mode & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
}
