using System.Text.RegularExpressions;

namespace Loom.Cli.Tests;

/// <summary>
/// Which commands the native loom hands to loom-jit, and that one of them works end to end through whichever loom the
/// tests run (tests/run.sh: the native one, so the hand-over itself).
/// </summary>
public sealed partial class NativeLauncherTests
{
    [Theory]
    [InlineData("serve", new[] { "--seed", "127.0.0.1:4053" }, true)]
    [InlineData("ctl", new[] { "127.0.0.1:4053", "members" }, true)]
    [InlineData("run", new[] { "--cluster", "127.0.0.1:4053" }, true)]
    [InlineData("runs", new[] { "--cluster=127.0.0.1:4053" }, true)]
    [InlineData("run", new[] { "--ui" }, true)]
    [InlineData("watch", new[] { "--ui-port", "8080" }, true)]
    [InlineData("run", new[] { "--ui-host=0.0.0.0" }, true)]
    [InlineData("run", new[] { "--max-parallel", "2" }, false)]
    [InlineData("watch", new string[0], false)]
    [InlineData("logs", new[] { "build" }, false)]
    [InlineData("run", new[] { "docs/--ui.yml" }, false)]
    public void Cluster_commands_and_the_web_view_need_the_jit_runtime(string command, string[] arguments, bool needsJit) =>
        Assert.Equal(needsJit, NativeLauncher.NeedsJit(command, arguments));

    [Fact]
    public async Task A_run_with_the_web_view_serves_it_until_a_signal_ends_it()
    {
        using var ws = new Workspace("""
            jobs:
              build:
                steps:
                  - run: "true"
            """);
        using var loom = ws.StartLoom("run", "--ui", "--plain");
        // The view stays after the run until a signal: the line saying so comes once the run's result is shown.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!loom.Stderr.Contains("the web view stays at"))
        {
            Assert.False(loom.HasExited, $"loom ended first; stdout:\n{loom.Stdout}\nstderr:\n{loom.Stderr}");
            Assert.True(clock.Elapsed < LoomProcess.Patience, $"the view did not stay; stdout:\n{loom.Stdout}\nstderr:\n{loom.Stderr}");
            await Task.Delay(20);
        }
        Assert.Contains("run success", loom.Stdout);
        var address = ViewAddress().Match(loom.Stderr);
        Assert.True(address.Success, loom.Stderr);
        using var http = new HttpClient();
        var page = await http.GetAsync(address.Value);
        Assert.True(page.IsSuccessStatusCode, $"{address.Value}: {page.StatusCode}");

        loom.Signal("INT");
        Assert.Equal(0, await loom.WaitAsync());
    }

    [GeneratedRegex(@"http://127\.0\.0\.1:\d+/")]
    private static partial Regex ViewAddress();
}
