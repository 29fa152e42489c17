namespace Loom.Actors.Execution;

/// <summary>
/// Kills what a step left behind. Every step is a session and process group of its own whose id
/// is the leader's pid, and Linux never hands that number to a new process while any member of
/// the group or session lives, so the id names the step's processes for as long as they exist.
/// </summary>
public static unsafe class ProcessTree
{
    private const int MaxSweeps = 3;

    // USER_HZ, the unit of /proc's start times; 100 on every Linux architecture .NET runs on.
    private static readonly long TicksPerSecond = Libc.sysconf(Libc._SC_CLK_TCK);

    /// <summary>
    /// SIGKILL to every process of the step <paramref name="leader"/> started: its group, and the
    /// members of its session that moved to groups of their own (job control). Safe to call with
    /// an identity saved before a crash: a pid now used by another process is left alone.
    /// </summary>
    public static void KillGroup(ProcessIdentity leader) => KillGroup(leader, leader.StartTimeTicks);

    /// <summary>
    /// <see cref="KillGroup(ProcessIdentity)"/> of a leader known to have started at a tick from its identity's start
    /// time to <paramref name="latestStart"/> (a process ledger's line written by the child itself).
    /// </summary>
    public static void KillGroup(ProcessIdentity leader, long latestStart)
    {
        if (leader.Pid <= 1)
            return;
        if (TryReadStat(leader.Pid, out var stat))
        {
            if (stat.StartTime < leader.StartTimeTicks || stat.StartTime > latestStart)
                return;
            SignalGroup(leader.Pid);
        }
        KillSession(leader.Pid, leader.StartTimeTicks);
    }

    /// <summary>The identity of live process <paramref name="pid"/>; null when there is none (or it is a zombie).</summary>
    public static ProcessIdentity? IdentityOf(int pid) =>
        TryReadStat(pid, out var stat) && stat.State != 'Z' ? new ProcessIdentity(pid, stat.StartTime) : null;

    /// <summary>Whether <paramref name="process"/> still runs: its pid is live and started at the recorded time.</summary>
    public static bool IsRunning(ProcessIdentity process) => IdentityOf(process.Pid) == process;

    /// <summary>SIGTERM to one process (a <c>loom</c> that holds a run cancels it and exits); false when there is no such process.</summary>
    public static bool Terminate(int pid) => pid > 1 && Libc.kill(pid, Libc.SIGTERM) == 0;

    /// <summary>SIGKILL to process group <paramref name="pgid"/>; never to Loom's own group or init.</summary>
    internal static void SignalGroup(int pgid)
    {
        if (pgid > 1)
            Libc.kill(-pgid, Libc.SIGKILL);
    }

    /// <summary>
    /// Scans /proc for live members of session <paramref name="sessionId"/> started no earlier
    /// than <paramref name="notBefore"/> and kills them and their groups, until none is left.
    /// </summary>
    internal static void KillSession(int sessionId, long notBefore)
    {
        if (sessionId <= 1)
            return;
        for (var sweep = 0; sweep < MaxSweeps; sweep++)
        {
            var found = false;
            foreach (var entry in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(entry.AsSpan()), out var pid) || !TryReadStat(pid, out var stat))
                    continue;
                if (stat.Session != sessionId || stat.State == 'Z' || stat.StartTime < notBefore)
                    continue;
                found = true;
                SignalGroup(stat.ProcessGroup);
                Libc.kill(pid, Libc.SIGKILL);
            }
            if (!found)
                return;
        }
    }

    /// <summary>
    /// Now in /proc's start-time unit: clock ticks of CLOCK_BOOTTIME, rounded down as the kernel
    /// rounds a process's start. A child forked between two equal readings started at that tick.
    /// </summary>
    public static long BootTicks()
    {
        Libc.Timespec now;
        Libc.clock_gettime(Libc.CLOCK_BOOTTIME, &now);
        return now.Seconds * TicksPerSecond + now.Nanoseconds / (1_000_000_000 / TicksPerSecond);
    }

    /// <summary>Reads fields 3, 5, 6 and 22 of <c>/proc/&lt;pid&gt;/stat</c>.</summary>
    internal static bool TryReadStat(int pid, out ProcStat stat)
    {
        stat = default;
        // Raw open/read/close: this runs for every step, and File.OpenHandle costs several times more.
        Span<byte> path = stackalloc byte[32];
        "/proc/"u8.CopyTo(path);
        pid.TryFormat(path[6..], out var digits);
        "/stat\0"u8.CopyTo(path[(6 + digits)..]);
        Span<byte> buffer = stackalloc byte[1024];
        int fd;
        fixed (byte* file = path)
            fd = Libc.open(file, Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        if (fd < 0)
            return false;
        nint length;
        fixed (byte* bytes = buffer)
            length = Libc.read(fd, bytes, buffer.Length);
        Libc.close(fd);
        if (length <= 0)
            return false;
        // The command name (field 2) is in parentheses and may itself contain spaces and ')'.
        var text = buffer[..(int)length];
        var close = text.LastIndexOf((byte)')');
        if (close < 0 || close + 2 >= text.Length)
            return false;
        ReadOnlySpan<byte> rest = text[(close + 2)..];
        Span<Range> fields = stackalloc Range[20];
        var count = 0;
        foreach (var range in rest.Split((byte)' '))
        {
            fields[count++] = range;
            if (count == fields.Length)
                break;
        }
        if (count < fields.Length || !int.TryParse(rest[fields[2]], out var group) || !int.TryParse(rest[fields[3]], out var session)
            || !long.TryParse(rest[fields[19]], out var start))
            return false;
        stat = new ProcStat((char)rest[fields[0]][0], group, session, start);
        return true;
    }

    internal readonly record struct ProcStat(char State, int ProcessGroup, int Session, long StartTime);
}
