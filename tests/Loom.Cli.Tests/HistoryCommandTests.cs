namespace Loom.Cli.Tests;

/// <summary><c>loom runs</c> and <c>loom show</c> on real runs, read back from the workspace's journal.</summary>
public sealed class HistoryCommandTests
{
    [Fact]
    public async Task Runs_lists_every_run_newest_first_and_show_tells_each_jobs_result_and_reason()
    {
        using var ws = new Workspace("""
            name: history
            jobs:
              build:
                steps:
                  - run: echo built
              test:
                needs: build
                steps:
                  - name: check
                    run: exit "${FAIL:-0}"
              deploy:
                needs: test
                steps:
                  - run: echo deployed
            """);
        var (first, _, firstErr) = await LoomProcess.RunAsync(ws.Root, "run", "--plain");
        Assert.True(first == 0, firstErr);
        using (var failing = LoomProcess.Start(ws.Root, new Dictionary<string, string> { ["FAIL"] = "4" }, "run", "--plain"))
            Assert.Equal(1, await failing.WaitAsync());

        var (exit, stdout, stderr) = await LoomProcess.RunAsync(ws.Root, "runs");
        Assert.True(exit == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("run", lines[0]);
        Assert.Contains("history", lines[1]);
        Assert.Contains("failure", lines[1]);
        Assert.Contains("success", lines[2]);
        var newest = lines[1].Split(' ')[0];
        var oldest = lines[2].Split(' ')[0];

        var (showExit, show, showErr) = await LoomProcess.RunAsync(ws.Root, "show", newest);
        Assert.True(showExit == 0, showErr);
        Assert.Contains($"run {newest} (history): failure", show);
        Assert.Matches($@".loom.yml \(sha256 [0-9a-f]{{12}}\), started by {Environment.UserName}", show);
        Assert.Matches(@"build\s+success\s+\d+\.\d+s", show);
        Assert.Matches(@"test\s+failure\s+\d+\.\d+s\s+step 'check' failed: exit code 4", show);
        Assert.Matches(@"deploy\s+skipped\s+.*needs 'test', which failed", show);

        var (_, older, _) = await LoomProcess.RunAsync(ws.Root, "show", oldest);
        Assert.Matches(@"deploy\s+success", older);

        var (missing, _, missingErr) = await LoomProcess.RunAsync(ws.Root, "show", "no-such-run");
        Assert.Equal(2, missing);
        Assert.Contains("no run 'no-such-run'", missingErr);
    }

    [Fact]
    public async Task Runs_without_any_run_says_so()
    {
        using var ws = new Workspace("jobs: { a: { steps: [ { run: x } ] } }");
        var (exit, stdout, _) = await LoomProcess.RunAsync(ws.Root, "runs");
        Assert.Equal(0, exit);
        Assert.Contains("no run recorded", stdout);
        Assert.False(ws.Exists(".loom/journal.db"));
    }
}
