using System.Globalization;

namespace Loom.Core.Watching;

/// <summary>
/// Names of files editors write beside the one being saved (swap, backup, lock, probe and temp files). Changes to them
/// are dropped, so a save that writes a temp file and renames it over the original reports only the original.
/// </summary>
public static class EditorArtifacts
{
    private static readonly string[] Suffixes = [".swp", ".swo", ".swn", ".swx", "~", ".tmp", "___jb_tmp___", "___jb_old___"];

    /// <summary>vim probes whether a folder is writable with a file named 4913, then 5036, 5159, ... when that exists.</summary>
    private const int VimProbe = 4913;
    private const int VimProbeStep = 123;

    public static bool IsArtifact(string relativePath)
    {
        var name = Path.GetFileName(relativePath);
        return Suffixes.Any(s => name.EndsWith(s, StringComparison.OrdinalIgnoreCase))
            || name.StartsWith(".#", StringComparison.Ordinal) // emacs lock
            || (name.Length > 2 && name[0] == '#' && name[^1] == '#') // emacs auto-save
            || name.StartsWith(".goutputstream-", StringComparison.Ordinal) // GNOME's atomic save
            || IsVimProbe(name);
    }

    private static bool IsVimProbe(string name) =>
        name.Length <= 9 && name.All(char.IsAsciiDigit)
        && int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
        && n >= VimProbe && (n - VimProbe) % VimProbeStep == 0;
}
