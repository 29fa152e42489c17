using Loom.Core.Caching;

namespace Loom.Core.Workspaces;

/// <summary>A workspace is bigger than a cluster run may send; the message names the total, the limit and the biggest files.</summary>
public sealed class WorkspaceTooLargeException(long totalBytes, long limitBytes, int fileCount, IReadOnlyList<(string Path, long Size)> biggest)
    : Exception(MessageOf(totalBytes, limitBytes, fileCount, biggest))
{
    public long TotalBytes { get; } = totalBytes;

    public long LimitBytes { get; } = limitBytes;

    /// <summary>The biggest files, biggest first: what to add to .gitignore.</summary>
    public IReadOnlyList<(string Path, long Size)> Biggest { get; } = biggest;

    private static string MessageOf(long total, long limit, int fileCount, IReadOnlyList<(string Path, long Size)> biggest) =>
        $"the workspace is {ByteSize.Format(total)} in {fileCount} files, above the limit of {ByteSize.Format(limit)} for a cluster run; " +
        $"the biggest: {string.Join(", ", biggest.Select(f => $"{f.Path} ({ByteSize.Format(f.Size)})"))}. " +
        "Add what the jobs do not need to .gitignore, or raise the limit";
}
