using System.Runtime.InteropServices;

namespace Loom.Actors.Execution;

/// <summary>The few path facts .NET does not give: the physical path, file identity, ownership.</summary>
internal static unsafe class FileSystemPaths
{
    private const int AT_SYMLINK_NOFOLLOW = 0x100;
    private const int S_IFMT = 0xF000;
    private const int S_IFDIR = 0x4000;
    private const int S_IFREG = 0x8000;
    private const int UserReadWrite = 0x180;

    /// <summary>What <c>getcwd()</c> reports after <c>chdir(path)</c>: symlinks resolved.</summary>
    public static string RealPath(string path)
    {
        var resolved = Libc.realpath(path, null);
        if (resolved == null)
            return path;
        try
        {
            return Marshal.PtrToStringUTF8((nint)resolved)!;
        }
        finally
        {
            NativeMemory.Free(resolved);
        }
    }

    public static bool SameFile(string a, string b)
    {
        Libc.Statx x, y;
        return Libc.statx(Libc.AT_FDCWD, a, 0, Libc.STATX_BASIC_STATS, &x) == 0
            && Libc.statx(Libc.AT_FDCWD, b, 0, Libc.STATX_BASIC_STATS, &y) == 0
            && x.Inode == y.Inode && x.DevMajor == y.DevMajor && x.DevMinor == y.DevMinor;
    }

    /// <summary>
    /// True when <paramref name="path"/> is an empty regular file (not a symlink, whatever it points at) that its owner
    /// can read and write. One <c>statx</c>: <c>FileInfo</c> normalises the path and allocates, several times the cost.
    /// </summary>
    public static bool IsEmptyReadWriteFile(string path)
    {
        Libc.Statx stat;
        return Libc.statx(Libc.AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, Libc.STATX_BASIC_STATS, &stat) == 0
            && (stat.Mode & S_IFMT) == S_IFREG && stat.Size == 0 && (stat.Mode & UserReadWrite) == UserReadWrite;
    }

    /// <summary>True when <paramref name="path"/> is a regular file (symlinks followed) with something in it; one <c>statx</c>.</summary>
    public static bool IsNonEmptyFile(string path)
    {
        Libc.Statx stat;
        return Libc.statx(Libc.AT_FDCWD, path, 0, Libc.STATX_BASIC_STATS, &stat) == 0 && (stat.Mode & S_IFMT) == S_IFREG && stat.Size > 0;
    }

    /// <summary>True when <paramref name="path"/> is a real directory (not a symlink) owned by <paramref name="uid"/>.</summary>
    public static bool IsOwnDirectory(string path, uint uid, out uint mode)
    {
        Libc.Statx stat;
        mode = 0;
        if (Libc.statx(Libc.AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, Libc.STATX_BASIC_STATS, &stat) != 0)
            return false;
        mode = stat.Mode & 0xFFFu;
        return (stat.Mode & S_IFMT) == S_IFDIR && stat.Uid == uid;
    }
}
