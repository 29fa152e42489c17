using Loom.Core.Caching;

namespace Loom.Core.Workspaces;

/// <summary>What <see cref="WorkspaceMaterializer.MaterializeAsync"/> did: entries written (listed folders made), entries found as they should be, entries removed.</summary>
public sealed record MaterializeResult(int Written, int Unchanged, int Removed);

/// <summary>
/// Makes a folder hold exactly a <see cref="WorkspaceManifest"/>: writes what is missing or different, removes what the
/// manifest does not name, leaves identical files alone. The manifest comes over the network, so it is checked whole
/// before anything is touched (<see cref="WorkspacePath"/>), no link is ever followed (a link in the folder is removed
/// or replaced, never entered or written through) and every file's content is checked against its hash.
/// </summary>
public static class WorkspaceMaterializer
{
    private const UnixFileMode PlainMode = (UnixFileMode)0x1A4; // rw-r--r--, as git checks files out
    private const UnixFileMode ExecutableMode = (UnixFileMode)0x1ED; // rwxr-xr-x
    private const UnixFileMode OwnerAll = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const int ParallelWrites = 4;

    private static readonly EnumerationOptions OneLevel = new() { AttributesToSkip = 0, IgnoreInaccessible = false, RecurseSubdirectories = false };

    /// <exception cref="InvalidDataException">The manifest names an unsafe or conflicting path (nothing was touched), or a blob's content does not match its hash.</exception>
    /// <exception cref="BlobMissingException">The source lacks a file's content.</exception>
    public static async Task<MaterializeResult> MaterializeAsync(
        WorkspaceManifest manifest, string targetDir, IBlobSource blobs, CancellationToken cancellationToken = default)
    {
        var plan = Plan.Of(manifest);
        var root = Path.GetFullPath(targetDir);
        Directory.CreateDirectory(root);

        var (existing, keptLinks, removed) = Clean(root, plan);
        // Re-hashing a file of the right size costs less than a state file that a step's writes could make stale, and
        // catches a file a crash left half-written.
        var unchanged = new bool[existing.Count];
        Parallel.For(0, existing.Count, new ParallelOptions { CancellationToken = cancellationToken }, i =>
        {
            var (file, path) = existing[i];
            unchanged[i] = ContentHash.OfFile(path).Hex == file.Hash;
            if (unchanged[i])
                SetMode(path, file.Executable);
        });
        var kept = existing.Where((_, i) => unchanged[i]).Select(e => e.File.Path).ToHashSet(StringComparer.Ordinal);

        var toWrite = manifest.Files.Where(f => !kept.Contains(f.Path)).ToArray();
        await Parallel.ForEachAsync(toWrite, new ParallelOptions { MaxDegreeOfParallelism = ParallelWrites, CancellationToken = cancellationToken },
            (file, token) => new ValueTask(WriteFileAsync(root, file, blobs, token)));
        var linksToWrite = manifest.Links.Where(l => !keptLinks.Contains(l.Path)).ToArray();
        foreach (var link in linksToWrite)
            WriteLink(root, link);
        var foldersMade = manifest.Folders.Count(folder => MakeFolders(root, folder, folder));
        return new MaterializeResult(toWrite.Length + linksToWrite.Length + foldersMade, kept.Count + keptLinks.Count + manifest.Folders.Count - foldersMade, removed);
    }

    /// <summary>
    /// Walks the target without entering links and removes every entry the manifest does not name as it is (a file
    /// where a folder belongs, a link with another target, ...).
    /// </summary>
    /// <returns>The regular files at manifest paths with the manifest's size (maybe unchanged), the links already right, and the count of files and links removed.</returns>
    private static (List<(ManifestFile File, string Path)> Existing, HashSet<string> KeptLinks, int Removed) Clean(string root, Plan plan)
    {
        var existing = new List<(ManifestFile, string)>();
        var keptLinks = new HashSet<string>(StringComparer.Ordinal);
        var removed = 0;
        var pending = new Stack<string>();
        pending.Push("");
        while (pending.TryPop(out var folder))
        {
            foreach (var entry in new DirectoryInfo(Path.Combine(root, folder)).GetFileSystemInfos("*", OneLevel))
            {
                var path = folder.Length == 0 ? entry.Name : $"{folder}/{entry.Name}";
                var isLink = entry.LinkTarget is not null;
                var isFolder = entry is DirectoryInfo && !isLink;
                if (plan.Files.TryGetValue(path, out var file) && entry is FileInfo { LinkTarget: null } info)
                {
                    if (info.Length == file.Size)
                        existing.Add((file, info.FullName));
                }
                else if (plan.Links.TryGetValue(path, out var link) && entry.LinkTarget == link.Target)
                    keptLinks.Add(path);
                else if (plan.Folders.Contains(path) && isFolder)
                    pending.Push(path);
                else
                    removed += Remove(entry);
            }
        }
        return (existing, keptLinks, removed);
    }

    /// <summary>Removes a file or link (the link itself, never its target) or a real folder and all it holds.</summary>
    /// <returns>The count of files and links removed.</returns>
    private static int Remove(FileSystemInfo entry)
    {
        if (entry is not DirectoryInfo folder || folder.LinkTarget is not null)
        {
            File.Delete(entry.FullName);
            return 1;
        }
        // A step may leave read-only folders (Go's module cache does): their entries cannot be removed otherwise.
        if (!OperatingSystem.IsWindows() && (folder.UnixFileMode & OwnerAll) != OwnerAll)
            folder.UnixFileMode |= OwnerAll;
        var removed = folder.GetFileSystemInfos("*", OneLevel).Sum(Remove);
        folder.Delete(recursive: false);
        return removed;
    }

    private static async Task WriteFileAsync(string root, ManifestFile file, IBlobSource blobs, CancellationToken cancellationToken)
    {
        var target = PrepareFolders(root, file.Path);
        var temporary = AtomicFile.TemporaryBeside(target);
        try
        {
            await using (var output = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                // An empty file's content is known: no source needs to have it.
                if (file.Size > 0)
                {
                    await using var input = await blobs.OpenReadAsync(file.Hash, cancellationToken);
                    var (hash, length) = await BlobHash.CopyAsync(input, output, cancellationToken);
                    if (hash != file.Hash || length != file.Size)
                        throw new InvalidDataException($"the content received for '{file.Path}' does not match its hash {file.Hash}");
                }
                if (!OperatingSystem.IsWindows())
                    File.SetUnixFileMode(output.SafeFileHandle, file.Executable ? ExecutableMode : PlainMode);
            }
            File.Move(temporary, target, overwrite: true);
        }
        finally
        {
            File.Delete(temporary); // gone already after the move
        }
    }

    private static void WriteLink(string root, ManifestLink link)
    {
        // Made in one step, and only where nothing is (the clean-up removed what was there): never through a link.
        File.CreateSymbolicLink(PrepareFolders(root, link.Path), link.Target);
    }

    private static void SetMode(string path, bool executable)
    {
        if (OperatingSystem.IsWindows())
            return;
        var wanted = executable ? ExecutableMode : PlainMode;
        if (File.GetUnixFileMode(path) != wanted)
            File.SetUnixFileMode(path, wanted);
    }

    /// <summary>Creates the folders above <paramref name="relativePath"/>, refusing a link or a file on the way.</summary>
    /// <returns>The full path of <paramref name="relativePath"/>.</returns>
    private static string PrepareFolders(string root, string relativePath)
    {
        if (relativePath.LastIndexOf('/') is var slash and > 0)
            MakeFolders(root, relativePath[..slash], relativePath);
        return Path.Combine(root, relativePath);
    }

    /// <summary>Creates the folder <paramref name="relativePath"/> and those above it, refusing a link or a file on the way.</summary>
    /// <param name="entry">What the folder is made for, as the error names it.</param>
    /// <returns>Whether the folder itself was made (it was not there).</returns>
    private static bool MakeFolders(string root, string relativePath, string entry)
    {
        var folder = root;
        var made = false;
        foreach (var segment in relativePath.Split('/'))
        {
            folder = Path.Combine(folder, segment);
            var info = new DirectoryInfo(folder);
            if (info.LinkTarget is not null || File.Exists(folder))
                throw new IOException($"cannot write '{entry}': '{Path.GetRelativePath(root, folder)}' is not a folder");
            made = !info.Exists;
            if (made)
                Directory.CreateDirectory(folder);
        }
        return made;
    }

    /// <summary>A manifest checked whole: its entries by path and every folder that holds one or is listed.</summary>
    private sealed record Plan(Dictionary<string, ManifestFile> Files, Dictionary<string, ManifestLink> Links, HashSet<string> Folders)
    {
        /// <exception cref="InvalidDataException">An unsafe path, a bad hash or size, a path named twice or both an entry and a folder.</exception>
        public static Plan Of(WorkspaceManifest manifest)
        {
            var plan = new Plan(new(StringComparer.Ordinal), new(StringComparer.Ordinal), new(StringComparer.Ordinal));
            foreach (var file in manifest.Files)
            {
                Check(file.Path);
                if (!BlobHash.IsValid(file.Hash) || file.Size < 0)
                    throw Refused($"'{file.Path}' has no valid hash or size");
                if (!plan.Files.TryAdd(file.Path, file))
                    throw Refused($"'{file.Path}' is named twice");
            }
            foreach (var link in manifest.Links)
            {
                Check(link.Path);
                if (link.Target.Length == 0 || link.Target.Contains('\0'))
                    throw Refused($"the link '{link.Path}' has no valid target");
                if (plan.Files.ContainsKey(link.Path) || !plan.Links.TryAdd(link.Path, link))
                    throw Refused($"'{link.Path}' is named twice");
            }
            var listed = new HashSet<string>(StringComparer.Ordinal);
            foreach (var folder in manifest.Folders)
            {
                Check(folder);
                if (!listed.Add(folder))
                    throw Refused($"'{folder}' is named twice");
                plan.Folders.Add(folder);
            }
            foreach (var path in plan.Files.Keys.Concat(plan.Links.Keys).Concat(listed))
            {
                for (var slash = path.IndexOf('/'); slash >= 0; slash = path.IndexOf('/', slash + 1))
                    plan.Folders.Add(path[..slash]);
            }
            if (plan.Folders.FirstOrDefault(f => plan.Files.ContainsKey(f) || plan.Links.ContainsKey(f)) is { } both)
                throw Refused($"'{both}' is both a file and a folder");
            return plan;
        }

        private static void Check(string path)
        {
            if (WorkspacePath.Problem(path) is { } problem)
                throw Refused(problem);
        }

        private static InvalidDataException Refused(string problem) => new($"the workspace manifest is refused: {problem}");
    }
}
