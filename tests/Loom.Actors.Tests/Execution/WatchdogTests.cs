using Loom.Actors.Execution;

namespace Loom.Actors.Tests.Execution;

public sealed class WatchdogTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("loom-watchdog-").FullName;

    [Fact]
    public async Task The_watchdog_reads_EOF_when_this_process_lets_go_even_while_steps_started_after_it_still_run()
    {
        var eof = Path.Combine(folder, "eof");
        var watchdog = Watchdog.Start(["sh", "-c", $"cat >/dev/null; echo done > '{eof}'"]);
        // Started as every step is (posix_spawn) while the write end is open here: it must not inherit it.
        await using var step = StepProcess.Start(Steps.Launch("sleep 300"), _ => { });
        var identity = step.Identity!.Value;

        watchdog.Dispose();

        await Steps.EventuallyAsync(() => File.Exists(eof), "the watchdog to read EOF");
        Assert.True(ProcessTree.IsRunning(identity));
        Assert.Equal(0, await watchdog.Exited.WaitAsync(Steps.Patience));
    }

    [Fact]
    public async Task A_program_that_cannot_start_is_an_exception_and_a_second_dispose_does_nothing()
    {
        Assert.Throws<System.ComponentModel.Win32Exception>(() => Watchdog.Start([Path.Combine(folder, "no-such-program")]));
        var watchdog = Watchdog.Start(["cat"]);
        watchdog.Dispose();
        watchdog.Dispose();
        await watchdog.Exited.WaitAsync(Steps.Patience);
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);
}
