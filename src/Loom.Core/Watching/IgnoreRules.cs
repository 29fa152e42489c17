using System.Collections.Concurrent;

namespace Loom.Core.Watching;

/// <summary>
/// Which workspace paths watch mode leaves alone: what git ignores (every <c>.gitignore</c> from the workspace down,
/// and <c>.git/info/exclude</c>), plus <c>.git</c> and <c>.loom</c> always. Follows gitignore(5): the last matching
/// line wins, a deeper .gitignore over a shallower one, and nothing under an ignored folder can be re-included.
/// Each folder's .gitignore is read the first time a path in it is asked about; safe to use from several threads.
/// Not read: .gitignore files above the workspace and the user's <c>core.excludesFile</c>.
/// </summary>
public sealed class IgnoreRules
{
    public const string IgnoreFileName = ".gitignore";

    private static readonly string[] AlwaysIgnored = [".git", ".loom"];

    private readonly string workspace;
    private readonly ConcurrentDictionary<string, IgnorePattern[]> patternsByFolder = new(StringComparer.Ordinal);
    private readonly Lazy<IgnorePattern[]> excludeFile;

    private IgnoreRules(string workspace)
    {
        this.workspace = workspace;
        excludeFile = new Lazy<IgnorePattern[]>(() => Read(Path.Combine(workspace, ".git", "info", "exclude")));
    }

    /// <summary>The rules of <paramref name="workspace"/>; files are read lazily, so this touches no file.</summary>
    public static IgnoreRules Load(string workspace) => new(Path.GetFullPath(workspace));

    /// <summary>Whether the path is ignored, itself or through a folder above it.</summary>
    /// <param name="relativePath">Relative to the workspace, '/' separators.</param>
    /// <param name="isDirectory">Whether the path is a folder (patterns ending in '/' match only folders).</param>
    public bool IsIgnored(string relativePath, bool isDirectory)
    {
        var path = Normalize(relativePath);
        if (path.Length == 0)
            return false;
        for (var slash = path.IndexOf('/'); slash >= 0; slash = path.IndexOf('/', slash + 1))
        {
            if (IsExcludedEntry(path[..slash], isDirectory: true))
                return true;
        }
        return IsExcludedEntry(path, isDirectory);
    }

    /// <summary>
    /// Whether the entry is ignored by its own name and path, assuming no folder above it is: what a walk that does not
    /// enter ignored folders asks.
    /// </summary>
    internal bool IsExcludedEntry(string path, bool isDirectory)
    {
        var name = path[(path.LastIndexOf('/') + 1)..];
        if (AlwaysIgnored.Contains(name, StringComparer.Ordinal))
            return true;
        // The deepest .gitignore first; within one file the last matching line decides.
        for (var folder = ParentOf(path); folder is not null; folder = ParentOf(folder))
        {
            var pathInBase = folder.Length == 0 ? path : path[(folder.Length + 1)..];
            if (LastMatch(PatternsOf(folder), pathInBase, isDirectory) is { } verdict)
                return verdict;
        }
        return LastMatch(excludeFile.Value, path, isDirectory) ?? false;
    }

    /// <summary>
    /// Forgets a .gitignore the caller saw change (created, edited, deleted), so the next question reads it again.
    /// Returns whether <paramref name="relativePath"/> was a .gitignore, i.e. whether the rules may have changed.
    /// </summary>
    public bool Refresh(string relativePath)
    {
        if (!IsIgnoreFile(relativePath))
            return false;
        patternsByFolder.TryRemove(ParentOf(Normalize(relativePath)) ?? "", out _);
        return true;
    }

    public static bool IsIgnoreFile(string relativePath) =>
        Path.GetFileName(relativePath.AsSpan()).SequenceEqual(IgnoreFileName);

    private static bool? LastMatch(IgnorePattern[] patterns, string path, bool isDirectory)
    {
        for (var i = patterns.Length - 1; i >= 0; i--)
        {
            if (patterns[i].Matches(path, isDirectory))
                return !patterns[i].IsNegation;
        }
        return null;
    }

    private IgnorePattern[] PatternsOf(string folder) =>
        patternsByFolder.GetOrAdd(folder, f => Read(Path.Combine(workspace, f, IgnoreFileName)));

    private static IgnorePattern[] Read(string file)
    {
        if (!File.Exists(file))
            return []; // most folders have none: no exception for them
        try
        {
            // A UTF-8 byte order mark is dropped, as git does; lines end at '\n' only.
            var text = File.ReadAllText(file);
            return text.Split('\n').Select(IgnorePattern.Parse).OfType<IgnorePattern>().ToArray();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return []; // vanished or unreadable: no rules, as for git
        }
    }

    /// <summary>The folder holding <paramref name="path"/> ("" for the workspace), or null for the workspace itself.</summary>
    private static string? ParentOf(string path) =>
        path.Length == 0 ? null : path.LastIndexOf('/') is var slash and >= 0 ? path[..slash] : "";

    internal static string Normalize(string relativePath) => relativePath.Replace('\\', '/').Trim('/');
}
