using System.Diagnostics;

namespace Loom.Actors.Execution;

/// <summary>
/// A child process that outlives this one and learns of its end at once, whatever ends it (SIGKILL and the OOM killer
/// included): its stdin is the read end of a pipe whose write end only this process holds. .NET opens that end
/// O_CLOEXEC, so no program started afterwards (step processes, which <see cref="Spawner"/> starts with posix_spawn,
/// included) keeps it open; when this process ends, the kernel closes it and the child reads EOF. No polling, and no
/// <c>PR_SET_PDEATHSIG</c>, which fires when the thread that started the child ends, not the process.
/// </summary>
public sealed class Watchdog : IDisposable
{
    // Taken at once: the process object is disposed once the watchdog has exited, and its StandardInput with it.
    private readonly StreamWriter input;
    private bool disposed;

    private Watchdog(Process process)
    {
        input = process.StandardInput;
        Pid = process.Id;
        Exited = ExitAsync(process);
    }

    public int Pid { get; }

    /// <summary>The watchdog's exit code (128 + the signal that killed it), once it has exited.</summary>
    public Task<int> Exited { get; }

    /// <summary>Starts <paramref name="command"/> (program and arguments) in <c>/</c>; it must call <see cref="AwaitParentEnd"/> first.</summary>
    /// <exception cref="System.ComponentModel.Win32Exception">The program could not be started.</exception>
    public static Watchdog Start(IReadOnlyList<string> command)
    {
        var start = new ProcessStartInfo(command[0])
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            // Not the caller's directory: the watchdog would keep it busy (an unmount) long after it is needed.
            WorkingDirectory = "/",
        };
        foreach (var argument in command.Skip(1))
            start.ArgumentList.Add(argument);
        return new Watchdog(Process.Start(start)!);
    }

    /// <summary>Closes the write end: the watchdog reads EOF, as when this process ends.</summary>
    public void Dispose()
    {
        if (disposed)
            return;
        disposed = true;
        input.Close();
    }

    private static async Task<int> ExitAsync(Process process)
    {
        using (process)
        {
            await process.WaitForExitAsync().ConfigureAwait(false);
            return process.ExitCode;
        }
    }

    /// <summary>
    /// The watchdog's side, first thing: a session of its own (out of the terminal's foreground process group, so the
    /// Ctrl-C that asks its parent to stop gracefully does not reach it, and out of any group signalled as a whole), SIGHUP,
    /// SIGINT and SIGTERM ignored, then the wait for EOF on stdin. <paramref name="endTicks"/> is when that came, in /proc's
    /// start-time unit (<see cref="ProcessTree.BootTicks"/>): a process started later is none of the parent's. False when
    /// stdin fails instead: there is no parent to watch.
    /// </summary>
    public static unsafe bool AwaitParentEnd(out long endTicks)
    {
        Libc.setsid();
        // Ignored, not handled: the kernel drops them, whatever the runtime sets up later.
        Libc.signal(Libc.SIGHUP, Libc.SIG_IGN);
        Libc.signal(Libc.SIGINT, Libc.SIG_IGN);
        Libc.signal(Libc.SIGTERM, Libc.SIG_IGN);
        endTicks = 0;
        var buffer = stackalloc byte[64];
        while (true)
        {
            var read = Libc.read(0, buffer, 64);
            if (read == 0)
                break;
            if (read < 0 && Libc.LastError != Libc.EINTR)
                return false;
        }
        endTicks = ProcessTree.BootTicks();
        return true;
    }
}
