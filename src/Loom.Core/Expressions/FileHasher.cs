using System.Security.Cryptography;

namespace Loom.Core.Expressions;

/// <summary>
/// <c>hashFiles</c>: the SHA-256 of the concatenated SHA-256 digests of every workspace file the patterns select,
/// in ordinal order of their relative paths; '' when none matches. A later pattern overrides an earlier one for the
/// files both match, so <c>'**/*.cs', '!obj/**'</c> excludes <c>obj</c>.
/// </summary>
internal static class FileHasher
{
    public static string Hash(string workspace, IEnumerable<string> patterns)
    {
        var globs = GlobList.Create(patterns, workspace);
        if (globs.IsEmpty || !Directory.Exists(workspace))
            return "";
        var selected = RelativeFiles(workspace)
            .Where(globs.Selects)
            .Order(StringComparer.Ordinal)
            .ToList();
        if (selected.Count == 0)
            return "";
        var digests = new byte[selected.Count * SHA256.HashSizeInBytes];
        for (var i = 0; i < selected.Count; i++)
        {
            using var stream = File.OpenRead(Path.Combine(workspace, selected[i]));
            SHA256.HashData(stream, digests.AsSpan(i * SHA256.HashSizeInBytes, SHA256.HashSizeInBytes));
        }
        return Convert.ToHexStringLower(SHA256.HashData(digests));
    }

    private static bool LinksToFile(FileInfo link)
    {
        try
        {
            return link.ResolveLinkTarget(returnFinalTarget: true) is FileInfo { Exists: true };
        }
        catch (IOException)
        {
            return false; // a cycle of links
        }
    }

    /// <summary>Every file below the workspace as a '/'-separated relative path; folder links are not followed (no cycles).</summary>
    private static IEnumerable<string> RelativeFiles(string workspace)
    {
        var pending = new Stack<DirectoryInfo>();
        pending.Push(new DirectoryInfo(workspace));
        var options = new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = true, RecurseSubdirectories = false };
        while (pending.Count > 0)
        {
            foreach (var entry in pending.Pop().EnumerateFileSystemInfos("*", options))
            {
                if (entry is DirectoryInfo folder)
                {
                    if (folder.LinkTarget is null)
                        pending.Push(folder);
                }
                else if (entry is FileInfo file && (file.LinkTarget is null || LinksToFile(file)))
                {
                    yield return Path.GetRelativePath(workspace, file.FullName).Replace('\\', '/');
                }
            }
        }
    }
}
