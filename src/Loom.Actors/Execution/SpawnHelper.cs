using System.Runtime.InteropServices;

namespace Loom.Actors.Execution;

/// <summary>
/// loom_spawn.c: linked into the native <c>loom</c>, and otherwise libloomspawn.so beside Loom.Actors.dll where the
/// build found a C compiler. Absent (or of another version), <see cref="Spawner"/> uses glibc's posix_spawn.
/// </summary>
internal static unsafe partial class SpawnHelper
{
    private const string Lib = "libloomspawn";
    private const int Version = 1;

    /// <summary>True when the helper of this version is there.</summary>
    public static bool Available { get; } = Probe();

    /// <summary>Returns 0 and the pid, or the errno that kept the program from starting.</summary>
    [LibraryImport(Lib)]
    public static partial int loom_spawn(byte* path, byte** argv, byte** envp, byte* cwd, int stdinFd, int outputFd, int* pid);

    [LibraryImport(Lib)]
    private static partial int loom_spawn_version();

    private static bool Probe()
    {
        try
        {
            return loom_spawn_version() == Version;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return false;
        }
    }
}
