using System.Runtime.InteropServices;
using Loom.Actors.Execution;

namespace Loom.Actors.Tests.Execution;

public sealed class ProcessTreeTests
{
    [Fact]
    public async Task KillGroup_leaves_a_pid_alone_whose_start_time_differs_or_is_outside_the_recorded_range()
    {
        await using var step = StepProcess.Start(Steps.Launch("sleep 300"), _ => { });
        var identity = step.Identity!.Value;
        var start = identity.StartTimeTicks;

        ProcessTree.KillGroup(identity with { StartTimeTicks = start + 1 });
        ProcessTree.KillGroup(identity with { StartTimeTicks = start - 3 }, latestStart: start - 1);
        ProcessTree.KillGroup(identity with { StartTimeTicks = start + 1 }, latestStart: start + 3);
        await Task.Delay(50);

        Assert.True(Steps.IsAlive(identity.Pid));
        ProcessTree.KillGroup(identity with { StartTimeTicks = start - 1 }, latestStart: start + 1);
        var exit = await step.Completion.WaitAsync(Steps.Patience);
        Assert.Equal(137, exit.ExitCode);
    }

    [Fact]
    public async Task KillGroup_cleans_up_after_a_leader_that_is_gone()
    {
        // What a crash leaves: the leader reaped, its children still running in its session.
        var pid = Spawn("/bin/sh", ["sh", "-c", "sleep 300 & sleep 300 & exit 0"]);
        Assert.True(ProcessTree.TryReadStat(pid, out var stat));
        var leader = new ProcessIdentity(pid, stat.StartTime);
        Assert.Equal(0, Reap(pid));
        await Steps.EventuallyAsync(() => Steps.SessionMembers(pid).Count == 2, "two orphaned sleeps");

        ProcessTree.KillGroup(leader);

        await Steps.EventuallyAsync(() => Steps.SessionMembers(pid).Count == 0, "the orphans to die");
    }

    [Fact]
    public void The_exit_status_survives_another_reaper_on_Linux_6_15_and_later()
    {
        var pid = Spawn("/bin/sh", ["sh", "-c", "exit 7"]);
        var pidfd = Libc.pidfd_open(pid);
        Assert.True(pidfd >= 0);
        try
        {
            // What .NET does when Loom is pid 1: it reaps the child first.
            Assert.Equal(7, Reap(pid));

            var status = ChildExit.Reap(pid, pidfd);

            var kernel = Environment.OSVersion.Version;
            Assert.Equal(kernel >= new Version(6, 15) ? 7 : StepProcess.LostExitCode, status);
        }
        finally
        {
            Libc.close(pidfd);
        }
    }

    [Fact]
    public void Reaps_an_exit_by_signal_as_128_plus_the_signal()
    {
        var pid = Spawn("/bin/sh", ["sh", "-c", "kill -KILL $$"]);
        var pidfd = Libc.pidfd_open(pid);
        try
        {
            WaitForExit(pid);

            Assert.Equal(137, ChildExit.Reap(pid, pidfd));
        }
        finally
        {
            Libc.close(pidfd);
        }
    }

    private static int Spawn(string program, string[] argv)
    {
        var devNull = Libc.open("/dev/null", Libc.O_WRONLY | Libc.O_CLOEXEC, 0);
        try
        {
            Assert.Equal(0, Spawner.Spawn(program, argv, Steps.Environment(), "/", devNull, out var pid));
            return pid;
        }
        finally
        {
            Libc.close(devNull);
        }
    }

    // Waits for the child's exit without reaping it.
    private static void WaitForExit(int pid)
    {
        Libc.SigInfo info = default;
        Assert.Equal(0, waitid(Libc.P_PID, pid, ref info, Libc.WEXITED | Libc.WNOWAIT));
    }

    private static int Reap(int pid)
    {
        Libc.SigInfo info = default;
        Assert.Equal(0, waitid(Libc.P_PID, pid, ref info, Libc.WEXITED));
        return info.Status;
    }

    // The tests cannot use the library's pointer-based import: no unsafe code here.
    [DllImport("libc", SetLastError = true)]
    private static extern int waitid(int idType, int id, ref Libc.SigInfo info, int options);
}
