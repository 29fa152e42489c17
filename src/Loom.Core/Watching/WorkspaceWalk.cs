namespace Loom.Core.Watching;

/// <summary>
/// The files of a workspace folder that watch mode sees: it never enters an ignored folder, skips ignored files and
/// editor artifacts, and does not follow folder links (no cycles).
/// </summary>
internal static class WorkspaceWalk
{
    private static readonly EnumerationOptions OneLevel = new() { AttributesToSkip = 0, IgnoreInaccessible = true, RecurseSubdirectories = false };

    /// <param name="startFolder">Relative to the workspace ("" for all of it); known not to be ignored.</param>
    public static IEnumerable<(string RelativePath, FileInfo File)> Files(string workspace, IgnoreRules rules, string startFolder)
    {
        var pending = new Stack<string>();
        pending.Push(startFolder);
        while (pending.TryPop(out var folder))
        {
            foreach (var entry in Entries(Path.Combine(workspace, folder)))
            {
                var relative = folder.Length == 0 ? entry.Name : $"{folder}/{entry.Name}";
                if (entry is DirectoryInfo directory)
                {
                    if (directory.LinkTarget is null && !rules.IsExcludedEntry(relative, isDirectory: true))
                        pending.Push(relative);
                }
                else if (entry is FileInfo file && !EditorArtifacts.IsArtifact(relative) && !rules.IsExcludedEntry(relative, isDirectory: false))
                {
                    yield return (relative, file);
                }
            }
        }
    }

    /// <summary>A folder's entries; none when it vanished while being walked (files come and go while watching).</summary>
    private static FileSystemInfo[] Entries(string folder)
    {
        try
        {
            return new DirectoryInfo(folder).GetFileSystemInfos("*", OneLevel);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
