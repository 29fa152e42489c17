namespace Loom.Actors.Execution;

/// <summary>Collects a child's exit status, also when someone else reaped it first.</summary>
internal static unsafe class ChildExit
{
    /// <summary>
    /// Reaps the exited child <paramref name="pid"/> and returns its status as a shell reports it:
    /// the exit code, or 128 + the signal. .NET reaps every child, ours too, when Loom is pid 1 or
    /// was started with SIGCHLD ignored; <paramref name="pidfd"/> then still holds the status on
    /// Linux 6.15+, else it is lost.
    /// </summary>
    public static int Reap(int pid, int pidfd)
    {
        for (var attempt = 0; ; attempt++)
        {
            Libc.SigInfo info = default;
            int result;
            do
            {
                result = Libc.waitid(Libc.P_PID, pid, &info, Libc.WEXITED | Libc.WNOHANG);
            }
            while (result < 0 && Libc.LastError == Libc.EINTR);
            if (result == 0 && info.Pid == pid)
                return info.Code == Libc.CLD_EXITED ? info.Status : 128 + info.Status;
            if (pidfd < 0)
                return StepProcess.LostExitCode;
            switch (ReadFromPidfd(pidfd, out var status))
            {
                case PidfdStatus.Read:
                    return status;
                case PidfdStatus.Unsupported:
                    return StepProcess.LostExitCode;
            }
            // The other reaper has taken the child but not yet published its status: microseconds.
            if (attempt == MaxAttempts)
                return StepProcess.LostExitCode;
            Thread.Sleep(attempt < 10 ? 0 : 1);
        }
    }

    /// <summary>Whether the child <paramref name="pid"/> has exited, without reaping it; false when that cannot be told.</summary>
    public static bool HasExited(int pid)
    {
        Libc.SigInfo info = default;
        return Libc.waitid(Libc.P_PID, pid, &info, Libc.WEXITED | Libc.WNOHANG | Libc.WNOWAIT) == 0 && info.Pid == pid;
    }

    private const int MaxAttempts = 50;

    private enum PidfdStatus
    {
        Read,
        NotYet,
        Unsupported,
    }

    private static PidfdStatus ReadFromPidfd(int pidfd, out int status)
    {
        var info = new Libc.PidfdInfo { Mask = Libc.PIDFD_INFO_EXIT };
        status = 0;
        if (Libc.ioctl(pidfd, Libc.PIDFD_GET_INFO, &info) != 0)
            return Libc.LastError == Libc.ESRCH ? PidfdStatus.NotYet : PidfdStatus.Unsupported;
        if ((info.Mask & Libc.PIDFD_INFO_EXIT) == 0)
            return PidfdStatus.NotYet;
        // A wait(2) status word: exit code in bits 8-15, or the signal in bits 0-6.
        var signal = info.ExitCode & 0x7F;
        status = signal == 0 ? (info.ExitCode >> 8) & 0xFF : 128 + signal;
        return PidfdStatus.Read;
    }
}
