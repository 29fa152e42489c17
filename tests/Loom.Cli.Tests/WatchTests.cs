using System.Text.RegularExpressions;

namespace Loom.Cli.Tests;

/// <summary><c>loom watch</c> with the real <c>loom</c>, real files and real steps; runs counted through files the steps append to.</summary>
public sealed partial class WatchTests
{
    /// <summary>
    /// A change within 100 ms of a job's end counts as that job's own late-reported write; a test that edits a file
    /// right after a cycle waits that window out (there is no event that marks its end).
    /// </summary>
    private static readonly TimeSpan PastGrace = TimeSpan.FromMilliseconds(200);

    private const string Pipeline = """
        jobs:
          build:
            inputs: ["src/**"]
            steps:
              - run: echo ran >> build.count
          test:
            needs: build
            inputs: ["test/**"]
            steps:
              - run: echo ran >> test.count
          docs:
            inputs: ["docs/**"]
            steps:
              - run: echo ran >> docs.count
        """;

    [Fact]
    public async Task An_input_change_runs_exactly_that_job_and_its_dependents_again()
    {
        using var ws = NewWorkspace(Pipeline, "src", "test", "docs");
        using var loom = Watch(ws);
        await CyclesEndedAsync(loom, 1);

        await ChangeAsync(ws, "src/a.cs");
        await CyclesEndedAsync(loom, 2);
        Assert.Contains("watch: cycle 2 ", loom.Stdout);
        Assert.Contains("build: src/a.cs changed; test: src/a.cs changed (needs build)", loom.Stdout);
        await ChangeAsync(ws, "test/a_test.cs");
        await CyclesEndedAsync(loom, 3);

        Assert.Equal(2, Runs(ws, "build"));
        Assert.Equal(3, Runs(ws, "test"));
        Assert.Equal(1, Runs(ws, "docs"));
        Assert.Contains("[docs] success: carried from run", loom.Stdout);
        Assert.Equal(130, await StopAsync(loom));
    }

    [Fact]
    public async Task Polling_finds_changes_too()
    {
        using var ws = NewWorkspace(Pipeline, "src", "test", "docs");
        using var loom = Watch(ws, "--poll");
        await CyclesEndedAsync(loom, 1);
        Assert.Contains("(polling)", loom.Stdout);
        // Past the polling grace (two rounds): a write right after a job counts as the job's own.
        await Task.Delay(TimeSpan.FromMilliseconds(700));
        await ChangeAsync(ws, "docs/readme.md");
        await CyclesEndedAsync(loom, 2);
        Assert.Equal(2, Runs(ws, "docs"));
        Assert.Equal(1, Runs(ws, "build"));
        await StopAsync(loom);
    }

    [Fact]
    public async Task A_job_without_inputs_runs_again_on_any_change_but_not_on_a_gitignored_one()
    {
        using var ws = NewWorkspace("""
            jobs:
              all:
                steps:
                  - run: echo ran >> all.count
            """);
        File.WriteAllText(ws.PathOf(".gitignore"), "*.count\n*.log\n");
        using var loom = Watch(ws);
        await CyclesEndedAsync(loom, 1);

        await ChangeAsync(ws, "notes.txt");
        await CyclesEndedAsync(loom, 2);
        File.WriteAllText(ws.PathOf("debug.log"), "ignored");
        await TouchWorkflowAsync(ws, loom, reloads: 1);

        Assert.Equal(2, Runs(ws, "all"));
        Assert.Equal(2, Count(loom.Stdout, "watch: cycle "));
        await StopAsync(loom);
    }

    [Fact]
    public async Task A_job_that_writes_into_the_workspace_does_not_trigger_itself()
    {
        using var ws = NewWorkspace("""
            jobs:
              writer:
                steps:
                  - run: echo ran >> writer.count; mkdir -p out; date +%s%N > out/stamp.txt
            """);
        using var loom = Watch(ws);
        await CyclesEndedAsync(loom, 1);
        // Anything it triggered would have started before the reload that follows its writes.
        await TouchWorkflowAsync(ws, loom, reloads: 1);
        Assert.Equal(1, Runs(ws, "writer"));
        Assert.Equal(1, Count(loom.Stdout, "watch: cycle "));

        await ChangeAsync(ws, "input.txt");
        await CyclesEndedAsync(loom, 2);
        await TouchWorkflowAsync(ws, loom, reloads: 2);
        Assert.Equal(2, Runs(ws, "writer"));
        await StopAsync(loom);
    }

    [Fact]
    public async Task An_invalid_workflow_edit_is_reported_and_the_previous_workflow_goes_on()
    {
        using var ws = NewWorkspace(Pipeline, "src", "test", "docs");
        using var loom = Watch(ws);
        await CyclesEndedAsync(loom, 1);

        File.WriteAllText(ws.PathOf(".loom.yml"), Pipeline.Replace("needs: build", "needs: nowhere"));
        await WaitForAsync(loom, () => loom.Stdout.Contains("has errors; the previous version stays in force"));
        Assert.Matches(@"\.loom\.yml:\d+:\d+: error: .*nowhere", loom.Stderr);

        await ChangeAsync(ws, "src/a.cs");
        await CyclesEndedAsync(loom, 2);
        Assert.Equal(2, Runs(ws, "build"));
        Assert.Equal(2, Runs(ws, "test"));
        await StopAsync(loom);
    }

    [Fact]
    public async Task A_valid_workflow_edit_runs_only_the_changed_job_and_its_dependents()
    {
        using var ws = NewWorkspace(Pipeline, "src", "test", "docs");
        using var loom = Watch(ws);
        await CyclesEndedAsync(loom, 1);

        File.WriteAllText(ws.PathOf(".loom.yml"), Pipeline.Replace("echo ran >> build.count", "echo ran again >> build.count"));
        await CyclesEndedAsync(loom, 2);
        Assert.Contains(".loom.yml reloaded: changed build", loom.Stdout);
        Assert.Equal("ran\nran again\n", ws.Read("build.count"));
        Assert.Equal(2, Runs(ws, "test"));
        Assert.Equal(1, Runs(ws, "docs"));
        await StopAsync(loom);
    }

    [Fact]
    public async Task A_vim_style_save_runs_one_cycle()
    {
        using var ws = NewWorkspace(Pipeline, "src", "test", "docs");
        File.WriteAllText(ws.PathOf("src/a.cs"), "v1");
        using var loom = Watch(ws);
        await CyclesEndedAsync(loom, 1);
        await Task.Delay(PastGrace);

        // vim with 'backupcopy=no': swap file, the 4913 probe, the old file renamed to a backup, a new file, the backup removed.
        File.WriteAllText(ws.PathOf("src/.a.cs.swp"), "swap");
        File.WriteAllText(ws.PathOf("src/4913"), "");
        File.Delete(ws.PathOf("src/4913"));
        File.Move(ws.PathOf("src/a.cs"), ws.PathOf("src/a.cs~"));
        File.WriteAllText(ws.PathOf("src/a.cs"), "v2");
        File.Delete(ws.PathOf("src/a.cs~"));
        File.Delete(ws.PathOf("src/.a.cs.swp"));
        await CyclesEndedAsync(loom, 2);
        await TouchWorkflowAsync(ws, loom, reloads: 1);

        Assert.Equal(2, Count(loom.Stdout, "watch: cycle "));
        Assert.Equal(2, Runs(ws, "build"));
        await StopAsync(loom);
    }

    // `slow` runs after `fast` (whose input is src/**), waits out the grace, records its pid and waits for `release`.
    private const string Busy = """
        jobs:
          fast:
            inputs: ["src/**"]
            steps:
              - run: echo ran >> fast.count
          slow:
            needs: fast
            inputs: ["nothing/**"]
            steps:
              - run: |
                  echo ran >> slow.count
                  sleep 0.3
                  echo $$ > slow.pid
                  for i in $(seq 1200); do [ -f release ] && exit 0; sleep 0.05; done
                  exit 1
        """;

    [Fact]
    public async Task On_busy_queue_runs_the_change_after_the_running_cycle()
    {
        using var ws = NewWorkspace(Busy, "src");
        using var loom = Watch(ws, "--on-busy", "queue");
        await ws.WaitForFileAsync("slow.pid");
        await ChangeAsync(ws, "src/a.cs");
        await WaitForAsync(loom, () => loom.Stdout.Contains("watch: queued: fast: src/a.cs changed"));
        Assert.True(Workspace.ProcessAlive(int.Parse(ws.Read("slow.pid").Trim())));
        File.WriteAllText(ws.PathOf("release"), "");
        await CyclesEndedAsync(loom, 2);
        Assert.Equal(2, Runs(ws, "fast"));
        Assert.Equal(2, Runs(ws, "slow"));
        Assert.DoesNotContain("cancel", loom.Stdout);
        await StopAsync(loom);
    }

    [Fact]
    public async Task On_busy_restart_kills_the_affected_running_step_and_runs_again()
    {
        using var ws = NewWorkspace(Busy, "src");
        using var loom = Watch(ws, "--on-busy", "restart");
        await ws.WaitForFileAsync("slow.pid");
        var firstSlow = int.Parse(ws.Read("slow.pid").Trim());
        File.Delete(ws.PathOf("slow.pid"));
        await ChangeAsync(ws, "src/a.cs");
        await WaitForAsync(loom, () => loom.Stdout.Contains("watch: restarting: fast: src/a.cs changed; slow: src/a.cs changed (needs fast)"));
        await Workspace.WaitUntilGoneAsync(firstSlow);
        await ws.WaitForFileAsync("slow.pid");
        Assert.NotEqual(firstSlow, int.Parse(ws.Read("slow.pid").Trim()));
        File.WriteAllText(ws.PathOf("release"), "");
        await CyclesEndedAsync(loom, 2);
        Assert.Matches(@"(?m)^run cancelled in ", loom.Stdout);
        Assert.Equal(2, Runs(ws, "fast"));
        Assert.Equal(2, Runs(ws, "slow"));
        await StopAsync(loom);
    }

    [Fact]
    public async Task On_busy_ignore_drops_the_change()
    {
        using var ws = NewWorkspace(Busy, "src");
        using var loom = Watch(ws, "--on-busy", "ignore");
        await ws.WaitForFileAsync("slow.pid");
        await ChangeAsync(ws, "src/a.cs");
        await WaitForAsync(loom, () => loom.Stdout.Contains("watch: ignored: fast: src/a.cs changed"));
        File.WriteAllText(ws.PathOf("release"), "");
        await CyclesEndedAsync(loom, 1);
        await TouchWorkflowAsync(ws, loom, reloads: 1);
        Assert.Equal(1, Count(loom.Stdout, "watch: cycle "));
        Assert.Equal(1, Runs(ws, "fast"));
        await StopAsync(loom);
    }

    [Fact]
    public async Task Ctrl_c_cancels_the_running_cycle_and_exits_130()
    {
        using var ws = NewWorkspace(Busy, "src");
        using var loom = Watch(ws);
        await ws.WaitForFileAsync("slow.pid");
        loom.Signal("INT");
        Assert.Equal(130, await loom.WaitAsync());
        await Workspace.WaitUntilGoneAsync(int.Parse(ws.Read("slow.pid").Trim()));
        Assert.Contains("watch ended: interrupted", loom.Stdout);
    }

    [Fact]
    public async Task The_journal_keeps_only_the_newest_cycle_runs()
    {
        using var ws = NewWorkspace("""
            jobs:
              build:
                inputs: ["src/**"]
                steps:
                  - run: echo ran >> build.count
            """, "src");
        using var loom = Watch(ws, "--keep-runs", "20");
        await CyclesEndedAsync(loom, 1);
        for (var cycle = 2; cycle <= 60; cycle++)
        {
            await ChangeAsync(ws, "src/a.cs");
            await CyclesEndedAsync(loom, cycle);
        }
        await StopAsync(loom);

        Assert.Equal(60, Runs(ws, "build"));
        var (exit, runs, _) = await LoomProcess.RunAsync(ws.Root, "runs");
        Assert.Equal(0, exit);
        var lines = runs.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();
        Assert.Equal(20, lines.Count);
        Assert.All(lines, l => Assert.Matches(@"-(4[1-9]|5\d|60)\s", l));
        Assert.Equal(20, Directory.GetDirectories(ws.PathOf(".loom/runs")).Length);
    }

    [Fact]
    public async Task Json_prints_the_session_and_its_cycles_as_one_object_per_line()
    {
        using var ws = NewWorkspace(Pipeline, "src", "test", "docs");
        using var loom = LoomProcess.Start(ws.Root, "watch", "--json");
        await WaitForAsync(loom, () => loom.Stdout.Contains("\"event\":\"runFinished\""));
        await ChangeAsync(ws, "docs/a.md");
        await WaitForAsync(loom, () => Count(loom.Stdout, "\"event\":\"runFinished\"") == 2);
        Assert.Equal(130, await StopAsync(loom));

        var events = loom.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("event").GetString()).ToList();
        Assert.Equal("watching", events[0]);
        Assert.Equal(2, events.Count(e => e == "cycleStarting"));
        Assert.Equal("watchEnded", events[^1]);
        Assert.Contains("\"reasons\":[\"docs: docs/a.md changed\"]", loom.Stdout);
    }

    [Fact]
    public async Task An_invalid_workflow_at_the_start_is_an_error_and_nothing_runs()
    {
        using var ws = NewWorkspace("jobs:\n  a:\n    needs: nowhere\n    steps: [{ run: echo }]\n");
        var (exit, _, stderr) = await LoomProcess.RunAsync(ws.Root, "watch", "--plain");
        Assert.Equal(2, exit);
        Assert.Matches(@"^\.loom\.yml:3:\d+: error: ", stderr);
        var (badOption, _, optionError) = await LoomProcess.RunAsync(ws.Root, "watch", "--on-busy", "later");
        Assert.Equal(2, badOption);
        Assert.Contains("--on-busy needs queue, restart or ignore", optionError);
    }

    private static Workspace NewWorkspace(string yaml, params string[] folders)
    {
        // Ending in a newline, so a comment appended later changes no value (a last block scalar keeps its text).
        var ws = new Workspace(yaml.EndsWith('\n') ? yaml : yaml + "\n");
        foreach (var folder in folders)
            Directory.CreateDirectory(ws.PathOf(folder));
        return ws;
    }

    private static LoomProcess Watch(Workspace ws, params string[] options) =>
        LoomProcess.Start(ws.Root, ["watch", "--plain", .. options]);

    private static int Runs(Workspace ws, string job) =>
        ws.Exists(job + ".count") ? ws.Read(job + ".count").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length : 0;

    private static int Count(string text, string needle) => Regex.Matches(text, Regex.Escape(needle)).Count;

    /// <summary>Writes a file once the grace after the last job's end is over (else it counts as that job's write).</summary>
    private static async Task ChangeAsync(Workspace ws, string path)
    {
        await Task.Delay(PastGrace);
        File.WriteAllText(ws.PathOf(path), DateTime.UtcNow.Ticks.ToString());
    }

    /// <summary>
    /// Appends a comment to the workflow and waits until it is reloaded: the session handles changes in order, so
    /// whatever earlier changes triggered has started by then.
    /// </summary>
    private static async Task TouchWorkflowAsync(Workspace ws, LoomProcess loom, int reloads)
    {
        File.AppendAllText(ws.PathOf(".loom.yml"), $"# touched {reloads}\n");
        await WaitForAsync(loom, () => Count(loom.Stdout, "reloaded: no job changed") >= reloads);
    }

    private static Task CyclesEndedAsync(LoomProcess loom, int cycles) =>
        WaitForAsync(loom, () => CycleEnd().Matches(loom.Stdout).Count >= cycles);

    private static async Task<int> StopAsync(LoomProcess loom)
    {
        loom.Signal("INT");
        return await loom.WaitAsync();
    }

    private static async Task WaitForAsync(LoomProcess loom, Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + LoomProcess.Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"stdout:\n{loom.Stdout}\nstderr:\n{loom.Stderr}");
            await Task.Delay(20);
        }
    }

    [GeneratedRegex(@"(?m)^run (success|failure|cancelled) in ")]
    private static partial Regex CycleEnd();
}
