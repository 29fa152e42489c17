using System.Runtime.InteropServices;

namespace Loom.Actors.Execution;

/// <summary>The few libc calls the step launcher needs (Linux; glibc 2.29+ or musl).</summary>
internal static unsafe partial class Libc
{
    private const string Lib = "libc";

    public const int SIGHUP = 1;
    public const int SIGINT = 2;
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;
    public const int ESRCH = 3;
    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int EACCES = 13;
    public const int ENOEXEC = 8;
    public const int EEXIST = 17;

    public const int O_RDONLY = 0;
    public const int O_WRONLY = 1;
    public const int O_CREAT = 0x40;
    public const int O_EXCL = 0x80;
    public const int O_NONBLOCK = 0x800;
    public const int O_CLOEXEC = 0x80000;
    public const int F_SETFL = 4;
    public const int PROT_READ = 1;
    public const int PROT_WRITE = 2;
    public const int MAP_SHARED = 1;
    public const nint MAP_FAILED = -1;
    public const int X_OK = 1;

    public const short POSIX_SPAWN_SETSIGDEF = 0x04;
    public const short POSIX_SPAWN_SETSIGMASK = 0x08;
    public const short POSIX_SPAWN_SETSID = 0x80;

    public const int P_PID = 1;
    public const int WNOHANG = 1;
    public const int WEXITED = 4;
    public const int WNOWAIT = 0x01000000;
    public const int CLD_EXITED = 1;

    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;
    public const int EPOLL_CTL_MOD = 3;
    public const uint EPOLLIN = 0x001;
    public const uint EPOLLHUP = 0x010;
    public const uint EPOLLONESHOT = 1u << 30;
    public const short POLLIN = 0x001;
    public const short POLLERR = 0x008;
    public const short POLLHUP = 0x010;
    public const short POLLNVAL = 0x020;

    public const int IN_NONBLOCK = O_NONBLOCK;
    public const int IN_CLOEXEC = O_CLOEXEC;
    public const uint IN_ATTRIB = 0x004;
    public const uint IN_MOVED_FROM = 0x040;
    public const uint IN_MOVED_TO = 0x080;
    public const uint IN_CREATE = 0x100;
    public const uint IN_DELETE = 0x200;
    public const uint IN_DELETE_SELF = 0x400;
    public const uint IN_MOVE_SELF = 0x800;
    public const uint IN_ONLYDIR = 0x01000000;
    public const uint IN_DONT_FOLLOW = 0x02000000;

    public const int AT_FDCWD = -100;
    public const int CLOCK_BOOTTIME = 7;
    public const int _SC_CLK_TCK = 2;
    public const uint STATX_BASIC_STATS = 0x7ff;

    private const long SYS_pidfd_open = 434;

    // _IOWR(0xFF, 11, struct pidfd_info) with the 64-byte first version of the struct (Linux 6.15+).
    public const ulong PIDFD_GET_INFO = 0xC040FF0B;
    public const ulong PIDFD_INFO_EXIT = 1 << 3;

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int pipe2(int* fds, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint read(int fd, byte* buffer, nint count);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int fcntl(int fd, int command, int argument);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int kill(int pid, int signal);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int setsid();

    public static readonly nint SIG_IGN = 1;

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint signal(int signal, nint handler);

    [LibraryImport(Lib)]
    public static partial int posix_spawn(int* pid, byte* path, void* fileActions, void* attributes, byte** argv, byte** envp);

    [LibraryImport(Lib)]
    public static partial int posix_spawn_file_actions_init(void* fileActions);

    [LibraryImport(Lib)]
    public static partial int posix_spawn_file_actions_destroy(void* fileActions);

    [LibraryImport(Lib)]
    public static partial int posix_spawn_file_actions_adddup2(void* fileActions, int fd, int newFd);

    [LibraryImport(Lib)]
    public static partial int posix_spawn_file_actions_addopen(void* fileActions, int fd, byte* path, int flags, uint mode);

    [LibraryImport(Lib)]
    public static partial int posix_spawn_file_actions_addchdir_np(void* fileActions, byte* path);

    [LibraryImport(Lib)]
    public static partial int posix_spawnattr_init(void* attributes);

    [LibraryImport(Lib)]
    public static partial int posix_spawnattr_setflags(void* attributes, short flags);

    [LibraryImport(Lib)]
    public static partial int posix_spawnattr_setsigmask(void* attributes, void* signals);

    [LibraryImport(Lib)]
    public static partial int posix_spawnattr_setsigdefault(void* attributes, void* signals);

    [LibraryImport(Lib)]
    public static partial int sigemptyset(void* signals);

    [LibraryImport(Lib)]
    public static partial int sigfillset(void* signals);

    [LibraryImport(Lib, SetLastError = true)]
    private static partial long syscall(long number, long argument1, long argument2);

    public static int pidfd_open(int pid) => (int)syscall(SYS_pidfd_open, pid, 0);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int waitid(int idType, int id, SigInfo* info, int options);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int ioctl(int fd, ulong request, void* argument);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int epoll_create1(int flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int epoll_ctl(int epollFd, int operation, int fd, void* epollEvent);

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int ppoll(PollFd* fds, nuint count, Timespec* timeout, void* signalMask);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int epoll_wait(int epollFd, void* events, int maxEvents, int timeout);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int access(string path, int mode);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int inotify_init1(int flags);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int inotify_add_watch(int fd, string path, uint mask);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int statx(int dirFd, string path, int flags, uint mask, Statx* buffer);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial byte* realpath(string path, byte* resolved);

    [LibraryImport(Lib)]
    public static partial uint geteuid();

    [LibraryImport(Lib)]
    public static partial int clock_gettime(int clock, Timespec* time);

    [LibraryImport(Lib)]
    public static partial long sysconf(int name);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int open(string path, int flags, uint mode);

    [LibraryImport(Lib, EntryPoint = "open", SetLastError = true)]
    public static partial int open(byte* path, int flags, uint mode);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial void* mmap(void* address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int munmap(void* address, nuint length);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int ftruncate(int fd, long length);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int fallocate(int fd, int mode, long offset, long length);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mkdir(string path, uint mode);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int chmod(string path, uint mode);

    /// <summary>The SIGCHLD part of <c>siginfo_t</c> (128 bytes on every Linux ABI).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 128)]
    public struct SigInfo
    {
        [FieldOffset(8)] public int Code;
        [FieldOffset(16)] public int Pid;
        [FieldOffset(24)] public int Status;
    }

    /// <summary>The fields of <c>struct statx</c> used here; its layout is the same on every architecture.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    public struct Statx
    {
        [FieldOffset(20)] public uint Uid;
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(32)] public ulong Inode;
        [FieldOffset(40)] public ulong Size;
        [FieldOffset(136)] public uint DevMajor;
        [FieldOffset(140)] public uint DevMinor;
    }

    public struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    /// <summary>The first version of <c>struct pidfd_info</c>.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 64)]
    public struct PidfdInfo
    {
        [FieldOffset(0)] public ulong Mask;
        [FieldOffset(60)] public int ExitCode;
    }

    public static int LastError => Marshal.GetLastPInvokeError();

    public static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno);
}
