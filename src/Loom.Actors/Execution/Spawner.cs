using System.Runtime.InteropServices;
using System.Text;

namespace Loom.Actors.Execution;

/// <summary>
/// Starts a program in a new session (so its process group is the step's whole tree), stdin from /dev/null, stdout and
/// stderr on one pipe, every signal at its default disposition and none blocked, whatever Loom's own process had (.NET
/// ignores SIGPIPE, for one): through <see cref="SpawnHelper"/> (vfork) where it was built, else with glibc's
/// <c>posix_spawn</c>, whose child stack is mapped and unmapped per spawn (~25 us more CPU per step on two cores,
/// docs/benchmarks.md).
/// </summary>
internal static unsafe class Spawner
{
    // posix_spawnattr_t is 336 bytes and posix_spawn_file_actions_t 80 on glibc x64; leave room.
    private const int SpawnStructBytes = 1024;
    private const int SigSetBytes = 128;

    private static readonly byte[] DevNull = "/dev/null\0"u8.ToArray();

    /// <summary>
    /// /dev/null, kept open (close-on-exec) for every child's stdin: a dup2 in the child costs a fraction of opening the
    /// path. -1 when it could not be opened: each child then opens it.
    /// </summary>
    internal static readonly int DevNullFd = OpenDevNull();

    // Read-only after initialisation, so every spawn shares it.
    private static readonly nint Attributes = CreateAttributes();

    /// <summary>Returns 0 and the pid, or the errno that kept the program from starting.</summary>
    /// <param name="startRecord">Zero, or a start record (<see cref="Running.ProcessLedger.Reservation"/>) that the child
    /// fills in before its exec where the helper starts it; posix_spawn leaves it to the caller.</param>
    public static int Spawn(string path, IReadOnlyList<string> argv, IReadOnlyCollection<KeyValuePair<string, string>> environment,
        string workingDirectory, int outputFd, out int pid, nint startRecord = 0) =>
        Spawn(path, argv, environment, workingDirectory, outputFd, SpawnHelper.Available, out pid, startRecord);

    /// <param name="viaHelper">Through <see cref="SpawnHelper"/> (which must be <see cref="SpawnHelper.Available"/>), or posix_spawn.</param>
    internal static int Spawn(string path, IReadOnlyList<string> argv, IReadOnlyCollection<KeyValuePair<string, string>> environment,
        string workingDirectory, int outputFd, bool viaHelper, out int pid, nint startRecord = 0)
    {
        pid = 0;
        var argvBlock = StringBlock.Create(argv);
        var envBlock = StringBlock.Create(environment);
        var pathBytes = Utf8Z(path);
        var cwdBytes = Utf8Z(workingDirectory);
        try
        {
            fixed (byte* cwd = cwdBytes)
            fixed (byte* file = pathBytes)
            {
                int child;
                var error = viaHelper
                    ? SpawnHelper.Spawn(file, argvBlock.Pointers, envBlock.Pointers, cwd, DevNullFd, outputFd, (byte*)startRecord, &child)
                    : PosixSpawn(file, argvBlock.Pointers, envBlock.Pointers, cwd, outputFd, &child);
                if (error == 0)
                    pid = child;
                return error;
            }
        }
        finally
        {
            argvBlock.Free();
            envBlock.Free();
        }
    }

    private static int PosixSpawn(byte* file, byte** argv, byte** envp, byte* cwd, int outputFd, int* child)
    {
        var fileActions = stackalloc long[SpawnStructBytes / sizeof(long)];
        Check(Libc.posix_spawn_file_actions_init(fileActions));
        try
        {
            fixed (byte* devNull = DevNull)
            {
                Check(DevNullFd >= 0
                    ? Libc.posix_spawn_file_actions_adddup2(fileActions, DevNullFd, 0)
                    : Libc.posix_spawn_file_actions_addopen(fileActions, 0, devNull, Libc.O_RDONLY, 0));
                Check(Libc.posix_spawn_file_actions_adddup2(fileActions, outputFd, 1));
                Check(Libc.posix_spawn_file_actions_adddup2(fileActions, outputFd, 2));
                Check(Libc.posix_spawn_file_actions_addchdir_np(fileActions, cwd));
                return Libc.posix_spawn(child, file, fileActions, (void*)Attributes, argv, envp);
            }
        }
        finally
        {
            Libc.posix_spawn_file_actions_destroy(fileActions);
        }
    }

    private static int OpenDevNull()
    {
        fixed (byte* devNull = DevNull)
            return Libc.open(devNull, Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
    }

    private static nint CreateAttributes()
    {
        var attributes = NativeMemory.AllocZeroed(SpawnStructBytes);
        var signals = stackalloc byte[SigSetBytes];
        Check(Libc.posix_spawnattr_init(attributes));
        Check(Libc.posix_spawnattr_setflags(attributes, Libc.POSIX_SPAWN_SETSID | Libc.POSIX_SPAWN_SETSIGMASK | Libc.POSIX_SPAWN_SETSIGDEF));
        Check(Libc.sigemptyset(signals));
        Check(Libc.posix_spawnattr_setsigmask(attributes, signals));
        Check(Libc.sigfillset(signals));
        // sigfillset leaves out glibc's internal signals 32 and 33, which its posix_spawn then
        // sets to SIG_IGN in the child, and ignored signals survive exec. Ask for their default.
        *(ulong*)signals |= 3UL << 31;
        Check(Libc.posix_spawnattr_setsigdefault(attributes, signals));
        return (nint)attributes;
    }

    private static void Check(int error)
    {
        if (error != 0)
            throw new InvalidOperationException($"posix_spawn setup failed: {Libc.Describe(error)}");
    }

    private static byte[] Utf8Z(string value)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(value) + 1];
        Encoding.UTF8.GetBytes(value, bytes);
        return bytes;
    }

    /// <summary>A NULL-terminated <c>char*[]</c> and its NUL-terminated UTF-8 strings in one native block.</summary>
    private readonly struct StringBlock
    {
        public byte** Pointers { get; private init; }

        public static StringBlock Create(IReadOnlyList<string> values)
        {
            var bytes = 0;
            foreach (var value in values)
                bytes += Encoding.UTF8.GetByteCount(value) + 1;
            var block = Allocate(values.Count, bytes, out var text);
            for (var i = 0; i < values.Count; i++)
                block.Pointers[i] = text.Add(values[i], null);
            return block;
        }

        public static StringBlock Create(IReadOnlyCollection<KeyValuePair<string, string>> pairs)
        {
            var bytes = 0;
            foreach (var (key, value) in pairs)
                bytes += Encoding.UTF8.GetByteCount(key) + Encoding.UTF8.GetByteCount(value) + 2;
            var block = Allocate(pairs.Count, bytes, out var text);
            var i = 0;
            foreach (var (key, value) in pairs)
                block.Pointers[i++] = text.Add(key, value);
            return block;
        }

        public void Free() => NativeMemory.Free(Pointers);

        private static StringBlock Allocate(int count, int textBytes, out NativeText text)
        {
            var pointerBytes = (count + 1) * sizeof(byte*);
            var memory = (byte*)NativeMemory.Alloc((nuint)(pointerBytes + textBytes));
            ((byte**)memory)[count] = null;
            text = new NativeText(memory + pointerBytes, textBytes);
            return new StringBlock { Pointers = (byte**)memory };
        }
    }

    private struct NativeText(byte* next, int remaining)
    {
        /// <summary>Writes "key\0" or "key=value\0" and returns where it starts.</summary>
        public byte* Add(string key, string? value)
        {
            var start = next;
            Write(key);
            if (value is not null)
            {
                Write("=");
                Write(value);
            }
            Write("\0");
            return start;
        }

        private void Write(string text)
        {
            var written = Encoding.UTF8.GetBytes(text, new Span<byte>(next, remaining));
            next += written;
            remaining -= written;
        }
    }
}
