using Loom.Core.Caching;
using Loom.Core.Watching;

namespace Loom.Core.Workspaces;

/// <summary>
/// What <c>loom run --cluster</c> sends: every file and link under the workspace as the submitter has it, tracked by git
/// or not, except what the <c>.gitignore</c> files (and <c>.git/info/exclude</c>) ignore (<see cref="IgnoreRules"/>)
/// and the <c>.git</c>, <c>.loom</c> and <c>.loom-node</c> folders. git's index is not read: a tracked file that a
/// .gitignore matches is not sent. Links are kept as links, never followed. A file of size 0 is not opened, so a fifo
/// or socket is taken for an empty file instead of blocking the scan. A folder that is not ignored but holds nothing sent
/// (empty, or only ignored files) is listed, so that it exists where the jobs run as it does here.
/// </summary>
public static class WorkspaceScanner
{
    /// <summary>256 MiB: a source tree, not its build output or data sets, which belong in .gitignore.</summary>
    public const long DefaultMaxTotalBytes = 256L * 1024 * 1024;

    private const int BiggestShown = 5;

    private static readonly EnumerationOptions OneLevel = new() { AttributesToSkip = 0, IgnoreInaccessible = false, RecurseSubdirectories = false };

    /// <exception cref="WorkspaceTooLargeException">The files add up to more than <paramref name="maxTotalBytes"/>; nothing is hashed then.</exception>
    /// <exception cref="IOException">A folder could not be listed or a file read (the message names it).</exception>
    public static WorkspaceManifest Scan(string root, long maxTotalBytes = DefaultMaxTotalBytes, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxTotalBytes);
        root = Path.GetFullPath(root);
        var (files, links, folders) = Walk(root, cancellationToken);
        // Sizes from the listing decide before any byte is read; a file growing meanwhile is caught after hashing.
        CheckLimit(files.Select(f => (f.Path, f.Info.Length)).ToList(), maxTotalBytes);
        var results = new ManifestFile?[files.Count];
        Parallel.For(0, files.Count, new ParallelOptions { CancellationToken = cancellationToken }, i => results[i] = Hash(files[i].Path, files[i].Info));
        var hashed = results.OfType<ManifestFile>().ToArray();
        CheckLimit(hashed.Select(f => (f.Path, f.Size)).ToList(), maxTotalBytes);
        return new WorkspaceManifest(
            hashed.OrderBy(f => f.Path, StringComparer.Ordinal).ToArray(),
            links.OrderBy(l => l.Path, StringComparer.Ordinal).ToArray(),
            OnlyFoldersNotImplied(folders, hashed.Select(f => f.Path).Concat(links.Select(l => l.Path))));
    }

    private static (List<(string Path, FileInfo Info)> Files, List<ManifestLink> Links, List<string> Folders) Walk(string root, CancellationToken cancellationToken)
    {
        var rules = IgnoreRules.Load(root);
        var files = new List<(string, FileInfo)>();
        var links = new List<ManifestLink>();
        var folders = new List<string>();
        var pending = new Stack<string>();
        pending.Push("");
        while (pending.TryPop(out var folder))
        {
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var entry in Entries(root, folder))
            {
                var path = folder.Length == 0 ? entry.Name : $"{folder}/{entry.Name}";
                // git takes a link for a file, whatever it points at.
                var isFolder = entry is DirectoryInfo && entry.LinkTarget is null;
                if (entry.Name == WorkspacePath.NodeFolderName || rules.IsExcludedEntry(path, isFolder))
                    continue;
                if (entry.LinkTarget is { } target)
                    links.Add(new ManifestLink(path, target));
                else if (isFolder)
                {
                    pending.Push(path);
                    folders.Add(path);
                }
                else if (entry is FileInfo file)
                    files.Add((path, file));
            }
        }
        return (files, links, folders);
    }

    /// <summary>The folders that no file, link or other folder lies in: the others are made on the way to those.</summary>
    private static string[] OnlyFoldersNotImplied(List<string> folders, IEnumerable<string> entries)
    {
        var implied = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in entries.Concat(folders))
        {
            // The set holds every folder above each folder in it: stop at the first one already there.
            var slash = path.LastIndexOf('/');
            while (slash > 0 && implied.Add(path[..slash]))
                slash = path.LastIndexOf('/', slash - 1);
        }
        return folders.Where(f => !implied.Contains(f)).Order(StringComparer.Ordinal).ToArray();
    }

    private static FileSystemInfo[] Entries(string root, string folder)
    {
        try
        {
            return new DirectoryInfo(Path.Combine(root, folder)).GetFileSystemInfos("*", OneLevel);
        }
        catch (DirectoryNotFoundException) when (folder.Length > 0)
        {
            return []; // deleted since it was listed
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot list '{(folder.Length == 0 ? "." : folder)}' of the workspace: {e.Message}", e);
        }
    }

    /// <returns>Null for a file deleted since it was listed: it is not part of the workspace any more.</returns>
    private static ManifestFile? Hash(string path, FileInfo info)
    {
        var executable = !OperatingSystem.IsWindows() && (info.UnixFileMode & UnixFileMode.UserExecute) != 0;
        if (info.Length == 0)
            return new ManifestFile(path, BlobHash.Empty, 0, executable);
        try
        {
            var content = ContentHash.OfFile(info.FullName);
            return new ManifestFile(path, content.Hex, content.Length, executable);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot read '{path}' of the workspace: {e.Message}", e);
        }
    }

    private static void CheckLimit(List<(string Path, long Size)> files, long maxTotalBytes)
    {
        var total = files.Sum(f => f.Size);
        if (total > maxTotalBytes)
            throw new WorkspaceTooLargeException(total, maxTotalBytes, files.Count,
                files.OrderByDescending(f => f.Size).ThenBy(f => f.Path, StringComparer.Ordinal).Take(BiggestShown).ToArray());
    }
}
