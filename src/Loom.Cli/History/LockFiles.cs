using System.Globalization;

namespace Loom.Cli.History;

/// <summary>
/// The lock files Loom processes share a workspace with: opened without sharing (an advisory <c>flock</c> on Linux,
/// let go of by the kernel when the process dies, even by <c>kill -9</c>), each with an owner file beside it that
/// names the holder's pid (.NET cannot read a file another process holds so).
/// </summary>
internal static class LockFiles
{
    /// <summary>The lock, or null when another process holds it.</summary>
    public static FileStream? TryTake(string path)
    {
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
        }
        catch (IOException)
        {
            return null;
        }
    }

    public static bool IsHeld(string path)
    {
        if (!File.Exists(path))
            return false;
        try
        {
            using var probe = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None);
            return false;
        }
        catch (FileNotFoundException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    /// <summary>The first word of an owner file as a pid; null when it is missing or unreadable.</summary>
    public static int? ReadPid(string ownerPath) =>
        ReadOwner(ownerPath) is { } text && int.TryParse(text.Split(' ', 2)[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;

    public static string? ReadOwner(string ownerPath)
    {
        try
        {
            return File.ReadAllText(ownerPath).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether process <paramref name="pid"/> has <paramref name="lockPath"/> open: what makes an owner file's pid safe to
    /// signal (the file may still name an earlier holder while a new one has just taken the lock).
    /// </summary>
    public static bool IsOpenIn(int pid, string lockPath)
    {
        var target = Path.GetFullPath(lockPath);
        try
        {
            foreach (var fd in Directory.EnumerateFiles($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/fd"))
            {
                if (new FileInfo(fd).LinkTarget == target)
                    return true;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return false;
    }
}
