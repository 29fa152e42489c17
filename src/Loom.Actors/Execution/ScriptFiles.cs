using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Loom.Actors.Execution;

/// <summary>
/// Step scripts live in <c>$TMPDIR/loom-&lt;uid&gt;/</c> (0700, outside any workspace), one 0600
/// file per step, deleted when the step ends. A directory of that name that is not ours, or a
/// symlink, is never used: a fresh private one is made instead.
/// </summary>
internal static class ScriptFiles
{
    private const uint PrivateDirectory = 0x1C0; // 0700
    private const uint PrivateFile = 0x180; // 0600

    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);
    // PublicationOnly: a failure (say, TMPDIR missing) is retried by the next step, not cached.
    private static readonly Lazy<string> Folder = new(CreateFolder, LazyThreadSafetyMode.PublicationOnly);

    public static string Directory => Folder.Value;

    /// <summary>Writes a new script; throws <see cref="IOException"/> when it cannot.</summary>
    public static string Write(string content, string extension)
    {
        var path = Path.Join(Folder.Value, $"{Random.Shared.NextInt64():x16}{extension}");
        var fd = Libc.open(path, Libc.O_WRONLY | Libc.O_CREAT | Libc.O_EXCL | Libc.O_CLOEXEC, PrivateFile);
        if (fd < 0)
            throw new IOException($"{path}: {Libc.Describe(Libc.LastError)}");
        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        RandomAccess.Write(handle, Utf8NoBom.GetBytes(content), 0);
        return path;
    }

    public static void Delete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the temp cleaner; the step's result does not depend on it.
        }
    }

    private static string CreateFolder()
    {
        var uid = Libc.geteuid();
        var path = Path.Join(Path.GetTempPath(), $"loom-{uid}");
        if (Libc.mkdir(path, PrivateDirectory) != 0 && Libc.LastError != Libc.EEXIST)
            return System.IO.Directory.CreateTempSubdirectory($"loom-{uid}-").FullName;
        if (!FileSystemPaths.IsOwnDirectory(path, uid, out var mode))
            return System.IO.Directory.CreateTempSubdirectory($"loom-{uid}-").FullName;
        if (mode != PrivateDirectory && Libc.chmod(path, PrivateDirectory) != 0)
            return System.IO.Directory.CreateTempSubdirectory($"loom-{uid}-").FullName;
        return path;
    }
}
