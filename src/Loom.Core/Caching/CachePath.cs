namespace Loom.Core.Caching;

/// <summary>
/// The rule for a path an entry may name: relative, '/'-separated, every segment a real name (no "", ".", ".."),
/// nothing in <c>.git</c> or <c>.loom</c>. An entry is data from disk; anything else could write outside the
/// workspace or over Loom's own files.
/// </summary>
internal static class CachePath
{
    /// <returns>Why <paramref name="path"/> is refused, or null when it is safe.</returns>
    public static string? Problem(string path)
    {
        if (path.Length == 0 || path.Contains('\\') || path.Contains('\0') || Path.IsPathRooted(path))
            return $"'{path}' is not a plain relative path";
        foreach (var segment in path.Split('/'))
        {
            if (segment is "" or "." or "..")
                return $"'{path}' has a '{segment}' segment";
            if (WorkspaceFiles.IsExcludedName(segment))
                return $"'{path}' is inside '{segment}'";
        }
        return null;
    }
}
