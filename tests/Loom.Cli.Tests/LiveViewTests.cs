using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Loom.Cli.Tests;

/// <summary>The live view, driven in a real pseudo-terminal by tmux.</summary>
public sealed class LiveViewTests
{
    [Fact]
    public async Task On_a_terminal_the_live_view_redraws_in_place_at_most_ten_times_a_second_and_ends_with_a_summary()
    {
        using var ws = new Workspace("""
            jobs:
              compile:
                steps:
                  - name: Compile sources
                    run: for i in $(seq 15); do echo "compiling unit $i"; sleep 0.1; done
              test:
                needs: compile
                steps:
                  - name: Run tests
                    run: for i in $(seq 10); do echo "test $i ok"; sleep 0.1; done
              docs:
                steps:
                  - run: sleep 1; echo docs done
            """);
        var session = "loom-live-" + Guid.NewGuid().ToString("N")[..8];
        var script = $"cd '{ws.Root}' && while [ ! -f go ]; do sleep 0.02; done; {LoomProcess.ShellCommand} run; echo $? > exit.txt; sleep 60";
        await Tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30", script);
        try
        {
            await Tmux("pipe-pane", "-t", session, "-o", $"cat > '{ws.PathOf("raw.log")}'");
            var clock = Stopwatch.StartNew();
            File.WriteAllText(ws.PathOf("go"), "");

            // While the run goes on, the screen shows the job block with a running job and its step.
            var sawBlock = false;
            while (!ws.Exists("exit.txt") && clock.Elapsed < LoomProcess.Patience)
            {
                var screen = await Tmux("capture-pane", "-p", "-t", session);
                if (Regex.IsMatch(screen, @"\d+/3 done, [12] running") && screen.Contains("Compile sources"))
                    sawBlock = true;
                await Task.Delay(100);
            }
            var elapsed = clock.Elapsed;
            Assert.True(ws.Exists("exit.txt"), "loom did not finish");
            Assert.Equal("0", ws.Read("exit.txt").Trim());
            Assert.True(sawBlock, "the live block never showed a running job with its step");

            var final = await Tmux("capture-pane", "-p", "-t", session, "-S", "-200");
            Assert.Contains("[compile] compiling unit 15", final);
            Assert.Contains("[test] test 10 ok", final);
            Assert.Matches(@"compile\s+ok\s+\d", final);
            Assert.Contains("run success", final);
            // Redrawn in place: the block is gone from the final screen, not stacked up in scrollback.
            Assert.True(Regex.Matches(final, @"\d+/3 done").Count == 0, final);

            var raw = await File.ReadAllTextAsync(ws.PathOf("raw.log"));
            // Each redraw starts by erasing the old block, bottom line first.
            var redraws = Regex.Matches(raw, @"\r(\e\[1A\e\[2K)+").Count;
            Assert.True(redraws >= 3, $"only {redraws} redraws");
            Assert.True(redraws <= 10 * elapsed.TotalSeconds + 1, $"{redraws} redraws in {elapsed.TotalSeconds:0.0}s");
            Assert.Matches(@"\e\[\d+m\[compile\]", raw);
        }
        finally
        {
            await Tmux("kill-session", "-t", session);
        }
    }

    private static async Task<string> Tmux(params string[] args)
    {
        var start = new ProcessStartInfo("tmux") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output;
    }
}
