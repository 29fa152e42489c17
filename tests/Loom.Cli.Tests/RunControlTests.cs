namespace Loom.Cli.Tests;

/// <summary><c>loom cancel</c>, <c>loom prune</c> and concurrency groups across <c>loom</c> processes.</summary>
public sealed class RunControlTests
{
    private static string[] RunIds(string runsOutput) =>
        runsOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(' ')[0]).ToArray();

    [Fact]
    public async Task Cancel_stops_a_run_of_another_loom_which_records_it_as_cancelled()
    {
        using var ws = new Workspace("""
            jobs:
              slow:
                steps:
                  - run: |
                      sleep 300 &
                      echo $! > sleeper.pid
                      wait
            """);
        using var run = LoomProcess.Start(ws.Root, "run", "--plain");
        await ws.WaitForFileAsync("sleeper.pid");
        var sleeper = int.Parse(ws.Read("sleeper.pid").Trim());
        var runId = RunIds((await LoomProcess.RunAsync(ws.Root, "runs")).Stdout).Single();

        var (exit, stdout, stderr) = await LoomProcess.RunAsync(ws.Root, "cancel", runId);
        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains($"cancelling run {runId} (pid {run.Pid})", stdout);
        Assert.Contains($"run {runId} cancelled", stdout);
        Assert.Equal(143, await run.WaitAsync());
        await Workspace.WaitUntilGoneAsync(sleeper);
        Assert.Matches(@"slow\s+cancelled", (await LoomProcess.RunAsync(ws.Root, "show", runId)).Stdout);

        var (again, _, againErr) = await LoomProcess.RunAsync(ws.Root, "cancel", runId);
        Assert.Equal(2, again);
        Assert.Equal($"loom: error: run {runId} already finished (cancelled)\n", againErr);
        var (unknown, _, unknownErr) = await LoomProcess.RunAsync(ws.Root, "cancel", "20000101-000000-0000");
        Assert.Equal(2, unknown);
        Assert.Contains("no run '20000101-000000-0000'", unknownErr);
        var (missing, _, missingErr) = await LoomProcess.RunAsync(ws.Root, "cancel");
        Assert.Equal(2, missing);
        Assert.Contains("needs the run", missingErr);
    }

    [Fact]
    public async Task Cancel_refuses_a_run_whose_loom_was_killed()
    {
        using var ws = new Workspace("jobs: { slow: { steps: [ { run: 'sleep 300 & echo $! > sleeper.pid; wait' } ] } }");
        using (var run = LoomProcess.Start(ws.Root, "run", "--plain"))
        {
            await ws.WaitForFileAsync("sleeper.pid");
            // A run's first events are written while its first step starts, not before (docs/architecture.md): a kill
            // in between leaves no run to cancel. This test is about a run that was recorded, so it waits for that.
            var deadline = DateTime.UtcNow + LoomProcess.Patience;
            while (RunIds((await LoomProcess.RunAsync(ws.Root, "runs")).Stdout).Length == 0)
                Assert.True(DateTime.UtcNow < deadline, "the run was never recorded");
            run.Signal("KILL");
            await run.WaitAsync();
        }
        // What the killed loom's step left running (a resumed run would kill it).
        using (var sleeper = System.Diagnostics.Process.GetProcessById(int.Parse(ws.Read("sleeper.pid").Trim())))
            sleeper.Kill();
        var runId = RunIds((await LoomProcess.RunAsync(ws.Root, "runs")).Stdout).Single();
        var (exit, _, stderr) = await LoomProcess.RunAsync(ws.Root, "cancel", runId);
        Assert.Equal(2, exit);
        Assert.Contains($"run {runId} is not running", stderr);
        Assert.Contains($"loom run --resume {runId}", stderr);
    }

    [Fact]
    public async Task Prune_removes_runs_beyond_the_newest_n_or_older_than_an_age_with_their_logs()
    {
        using var ws = new Workspace("jobs: { a: { steps: [ { run: 'echo hello' } ] } }");
        for (var i = 0; i < 3; i++)
            Assert.Equal(0, (await LoomProcess.RunAsync(ws.Root, "run", "--plain")).Exit);
        var all = RunIds((await LoomProcess.RunAsync(ws.Root, "runs")).Stdout);
        Assert.Equal(3, all.Length);

        var (exit, stdout, stderr) = await LoomProcess.RunAsync(ws.Root, "prune", "--keep", "1");
        Assert.True(exit == 0, stderr);
        Assert.Equal(2, stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains($"removed run {all[1]}", stdout);
        Assert.Contains($"removed run {all[2]}", stdout);
        Assert.Equal([all[0]], RunIds((await LoomProcess.RunAsync(ws.Root, "runs")).Stdout));
        Assert.Equal([all[0]], Directory.GetDirectories(ws.PathOf(".loom/runs")).Select(d => Path.GetFileName(d)).ToArray());
        Assert.Equal(2, (await LoomProcess.RunAsync(ws.Root, "show", all[1])).Exit);

        // The newest run started moments ago: a day is older than it, no time at all is not.
        Assert.Equal("nothing to prune\n", (await LoomProcess.RunAsync(ws.Root, "prune", "--older-than", "1d")).Stdout);
        Assert.Equal($"{all[0]}", RunIds((await LoomProcess.RunAsync(ws.Root, "runs")).Stdout).Single());
        Assert.Contains($"removed run {all[0]}", (await LoomProcess.RunAsync(ws.Root, "prune", "--older-than", "0s")).Stdout);
        Assert.Contains("no run recorded", (await LoomProcess.RunAsync(ws.Root, "runs")).Stdout);

        var (usage, _, usageErr) = await LoomProcess.RunAsync(ws.Root, "prune", "--older-than", "7 days");
        Assert.Equal(2, usage);
        Assert.Contains("--older-than needs an age", usageErr);
        Assert.Equal(2, (await LoomProcess.RunAsync(ws.Root, "prune")).Exit);
    }

    [Fact]
    public async Task Prune_never_removes_a_run_that_is_going_on()
    {
        using var ws = new Workspace("jobs: { a: { steps: [ { run: 'echo up > started; while [ ! -f go-on ]; do sleep 0.05; done' } ] } }");
        using var run = LoomProcess.Start(ws.Root, "run", "--plain");
        await ws.WaitForFileAsync("started");
        var (exit, stdout, _) = await LoomProcess.RunAsync(ws.Root, "prune", "--keep", "0");
        Assert.Equal(0, exit);
        Assert.Equal("nothing to prune\n", stdout);
        File.WriteAllText(ws.PathOf("go-on"), "");
        Assert.Equal(0, await run.WaitAsync());
    }

    [Fact]
    public async Task Runs_of_different_concurrency_groups_overlap()
    {
        // Each run waits until it sees the other one running: they only both finish if they overlap.
        using var ws = new Workspace("""
            concurrency: deploy-${{ inputs.name }}
            jobs:
              deploy:
                steps:
                  - run: |
                      touch "running.${{ inputs.name }}"
                      for i in $(seq 1 600); do [ -e "running.${{ inputs.other }}" ] && exit 0; sleep 0.05; done
                      exit 1
            """);
        using var a = LoomProcess.Start(ws.Root, "run", "--plain", "--input", "name=a", "--input", "other=b");
        using var b = LoomProcess.Start(ws.Root, "run", "--plain", "--input", "name=b", "--input", "other=a");
        Assert.Equal(0, await a.WaitAsync());
        Assert.Equal(0, await b.WaitAsync());
        Assert.DoesNotContain("waiting for run", a.Stderr + b.Stderr);
    }

    [Fact]
    public async Task Interrupting_a_run_that_waits_for_its_group_exits_130_without_starting_it()
    {
        using var ws = new Workspace("""
            concurrency: one-at-a-time
            jobs:
              a:
                steps:
                  - run: |
                      echo "$LOOM_RUN_ID" >> started.txt
                      while [ ! -f go-on ]; do sleep 0.05; done
            """);
        using var first = LoomProcess.Start(ws.Root, "run", "--plain");
        await ws.WaitForFileAsync("started.txt");
        using var second = LoomProcess.Start(ws.Root, "run", "--plain");
        await RunLogTests.WaitUntilAsync(() => second.Stderr.Contains("waiting for run"));
        var firstRun = ws.Read("started.txt").Trim();
        Assert.Equal($"waiting for run {firstRun} (group one-at-a-time)\n", second.Stderr);
        second.Signal("INT");
        Assert.Equal(130, await second.WaitAsync());

        File.WriteAllText(ws.PathOf("go-on"), "");
        Assert.Equal(0, await first.WaitAsync());
        Assert.Equal($"{firstRun}\n", ws.Read("started.txt"));
        // The waiting run never started: nothing of it was journaled.
        Assert.Equal([firstRun], RunIds((await LoomProcess.RunAsync(ws.Root, "runs")).Stdout));
    }
}
