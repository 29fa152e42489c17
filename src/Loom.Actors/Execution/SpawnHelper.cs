using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Loom.Actors.Execution;

/// <summary>
/// loom_spawn.c: linked into the native <c>loom</c>, and otherwise libloomspawn.so beside Loom.Actors.dll where the
/// build found a C compiler. Absent (or of another version), <see cref="Spawner"/> uses glibc's posix_spawn.
/// </summary>
internal static unsafe partial class SpawnHelper
{
    private const string Lib = "libloomspawn";
    private const int Version = 3;

    // Taken again at most once a second: a disposition changed in Loom's process (an ignored signal, which would
    // survive the exec) reaches the steps started after that.
    private static readonly long SignalsRefresh = Stopwatch.Frequency;
    private static long signalsTakenAt;
    private static ulong signalsInUse;

    /// <summary>True when the helper of this version is there.</summary>
    public static bool Available { get; } = Probe();

    /// <summary>Returns 0 and the pid, or the errno that kept the program from starting.</summary>
    /// <param name="startRecord">Null, or a <see cref="Running.ProcessLedger"/> line's start record, which the child fills in before its exec.</param>
    public static int Spawn(byte* path, byte** argv, byte** envp, byte* cwd, int stdinFd, int outputFd, byte* startRecord, int* pid) =>
        loom_spawn(path, argv, envp, cwd, stdinFd, outputFd, SignalsInUse(), startRecord, pid);

    /// <summary>The signals not at their default disposition in Loom's process (bit N-1 for signal N), at most a second old.</summary>
    private static ulong SignalsInUse()
    {
        if (Stopwatch.GetTimestamp() - Volatile.Read(ref signalsTakenAt) > SignalsRefresh)
            RefreshSignalsInUse();
        return Volatile.Read(ref signalsInUse);
    }

    /// <summary>Takes the signals in use now (tests call it rather than wait for the next refresh).</summary>
    internal static void RefreshSignalsInUse()
    {
        Volatile.Write(ref signalsInUse, loom_signals_in_use());
        Volatile.Write(ref signalsTakenAt, Stopwatch.GetTimestamp());
    }

    [LibraryImport(Lib)]
    private static partial int loom_spawn(byte* path, byte** argv, byte** envp, byte* cwd, int stdinFd, int outputFd, ulong signalsInUse,
        byte* startRecord, int* pid);

    [LibraryImport(Lib)]
    private static partial ulong loom_signals_in_use();

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
