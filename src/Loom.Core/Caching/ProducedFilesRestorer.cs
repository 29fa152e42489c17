namespace Loom.Core.Caching;

/// <summary>
/// Puts an entry's files back in two phases: stage each one as a hidden file beside its target (content checked
/// against its hash), then rename them all into place. A rename replaces a link at the target instead of writing
/// through it, and a folder on the way that is a link is refused, so nothing lands outside the workspace.
/// </summary>
internal sealed class ProducedFilesRestorer(string workspace, Func<string, string> blobPath)
{
    private readonly List<(string Staged, string Target)> staged = [];

    public CacheRestoreResult Restore(CacheEntry entry)
    {
        try
        {
            foreach (var file in entry.Files)
            {
                if (Stage(file) is { } problem)
                    return new CacheRestoreResult(0, problem);
            }
            foreach (var (stagedPath, target) in staged)
                File.Move(stagedPath, target, overwrite: true);
            return new CacheRestoreResult(staged.Count, null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new CacheRestoreResult(0, $"cannot restore '{entry.JobId}' from the cache: {e.Message}");
        }
        finally
        {
            foreach (var (stagedPath, _) in staged)
                File.Delete(stagedPath); // gone already once moved into place
        }
    }

    /// <returns>Why <paramref name="file"/> cannot be restored, or null once it is staged.</returns>
    private string? Stage(CachedFile file)
    {
        if (CachePath.Problem(file.Path) is { } unsafePath)
            return $"refused to restore {unsafePath}";
        var target = Path.Combine(workspace, file.Path);
        if (PrepareFolders(file.Path) is { } blocked)
            return blocked;
        if (Directory.Exists(target) && new DirectoryInfo(target).LinkTarget is null)
            return $"cannot restore '{file.Path}': a folder is in the way";
        var stagedPath = AtomicFile.TemporaryBeside(target);
        if (file.LinkTarget is { } linkTarget)
        {
            staged.Add((stagedPath, target));
            File.CreateSymbolicLink(stagedPath, linkTarget);
            return null;
        }
        FileStream blob;
        try
        {
            blob = ContentHash.OpenRead(blobPath(file.Hash));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return $"the cached content of '{file.Path}' is gone (the cache was cleared or pruned)";
        }
        using (blob)
        using (var copy = new FileStream(stagedPath, FileMode.CreateNew, FileAccess.Write, FileShare.None))
        {
            staged.Add((stagedPath, target));
            var content = ContentHash.Of(blob, copy);
            if (content.Hex != file.Hash || content.Length != file.Size)
                return $"the cached content of '{file.Path}' is damaged";
            if (file.Mode is { } mode && !OperatingSystem.IsWindows())
                File.SetUnixFileMode(copy.SafeFileHandle, mode);
        }
        return null;
    }

    /// <summary>Creates the folders above <paramref name="relativePath"/>; refuses a link or a file where a folder should be.</summary>
    private string? PrepareFolders(string relativePath)
    {
        var segments = relativePath.Split('/');
        var folder = workspace;
        foreach (var segment in segments[..^1])
        {
            folder = Path.Combine(folder, segment);
            var info = new DirectoryInfo(folder);
            if (info.LinkTarget is not null)
                return $"refused to restore '{relativePath}': '{Path.GetRelativePath(workspace, folder)}' is a link";
            if (File.Exists(folder))
                return $"cannot restore '{relativePath}': '{Path.GetRelativePath(workspace, folder)}' is a file";
            if (!info.Exists)
                Directory.CreateDirectory(folder);
        }
        return null;
    }
}
