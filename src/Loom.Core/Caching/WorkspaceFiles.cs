using Loom.Core.Expressions;

namespace Loom.Core.Caching;

/// <summary>One file a glob list selected: its '/'-separated path below the workspace, and whether it is a symbolic link.</summary>
internal sealed record WorkspaceFile(string RelativePath, string FullPath, bool IsLink);

/// <summary>
/// The files of a workspace that a list of globs selects (<c>hashFiles</c>' rules: <c>**</c>, a leading <c>!</c>
/// excludes, a later pattern overrides an earlier one), sorted by ordinal path. Links are listed, never followed,
/// so a link to a folder is one entry and no cycle is possible. Anything in a <c>.git</c> or <c>.loom</c> folder is
/// left out always: git's own files and Loom's cache and run records change on every run.
/// </summary>
internal static class WorkspaceFiles
{
    private static readonly EnumerationOptions ListOneFolder = new()
    {
        AttributesToSkip = 0,
        IgnoreInaccessible = false,
        RecurseSubdirectories = false,
    };

    /// <exception cref="FormatException">A pattern has an invalid character class.</exception>
    /// <exception cref="IOException">A folder could not be listed.</exception>
    /// <exception cref="UnauthorizedAccessException">A folder could not be listed.</exception>
    public static IReadOnlyList<WorkspaceFile> Select(string workspace, IEnumerable<string> patterns)
    {
        workspace = Path.GetFullPath(workspace);
        var globs = patterns.Select(p => GlobPattern.Create(p, workspace)).OfType<GlobPattern>().ToArray();
        var selected = new List<WorkspaceFile>();
        foreach (var root in WalkRoots(globs))
        {
            foreach (var file in FilesUnder(workspace, root))
            {
                if (IsSelected(file.RelativePath, globs))
                    selected.Add(file);
            }
        }
        selected.Sort((a, b) => string.CompareOrdinal(a.RelativePath, b.RelativePath));
        return selected;
    }

    public static bool IsExcludedName(string name) => name is ".git" or ".loom";

    /// <summary>The folders to walk: each inclusion's literal folder, less those inside another (walked already).</summary>
    private static IEnumerable<string> WalkRoots(GlobPattern[] globs)
    {
        var roots = globs.Where(g => !g.IsExclusion).Select(g => g.LiteralFolder).Distinct().Order(StringComparer.Ordinal).ToList();
        return roots.Where(root => !roots.Any(other => other != root && (other == "" || root.StartsWith(other + "/", StringComparison.Ordinal))));
    }

    private static bool IsSelected(string path, GlobPattern[] globs)
    {
        var selected = false;
        foreach (var glob in globs)
        {
            if (glob.IsExclusion == selected && glob.Matches(path))
                selected = !glob.IsExclusion;
        }
        return selected;
    }

    private static IEnumerable<WorkspaceFile> FilesUnder(string workspace, string root)
    {
        if (!IsPlainFolder(workspace, root))
            yield break;
        var pending = new Stack<(string Relative, DirectoryInfo Folder)>();
        pending.Push((root, new DirectoryInfo(Path.Combine(workspace, root))));
        while (pending.Count > 0)
        {
            var (relative, folder) = pending.Pop();
            foreach (var entry in folder.EnumerateFileSystemInfos("*", ListOneFolder))
            {
                if (IsExcludedName(entry.Name))
                    continue;
                var path = relative == "" ? entry.Name : relative + "/" + entry.Name;
                var isLink = entry.LinkTarget is not null;
                if (entry is DirectoryInfo subfolder && !isLink)
                    pending.Push((path, subfolder));
                else
                    yield return new WorkspaceFile(path, entry.FullName, isLink);
            }
        }
    }

    /// <summary>
    /// Whether the walk may start at <paramref name="root"/>: it exists, stays inside the workspace, and no folder on
    /// the way is a link or excluded (a full walk would not enter them either).
    /// </summary>
    private static bool IsPlainFolder(string workspace, string root)
    {
        var path = workspace;
        foreach (var segment in root.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            path = Path.Combine(path, segment);
            var folder = new DirectoryInfo(path);
            if (segment == ".." || IsExcludedName(segment) || !folder.Exists || folder.LinkTarget is not null)
                return false;
        }
        return Directory.Exists(workspace);
    }
}
