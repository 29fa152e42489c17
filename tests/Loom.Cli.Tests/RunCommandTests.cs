using System.Text.Json;

namespace Loom.Cli.Tests;

public sealed class RunCommandTests
{
    private const string Pipeline = """
        name: demo
        jobs:
          build:
            steps:
              - run: echo built > build.txt
              - name: Say hello
                run: echo "hello from $LOOM_JOB"
          test:
            needs: build
            steps:
              - run: cat build.txt > test.txt
          lint:
            steps:
              - run: echo linted > lint.txt
        """;

    [Fact]
    public async Task Runs_the_workflow_and_prints_plain_prefixed_lines_when_not_a_terminal()
    {
        using var ws = new Workspace(Pipeline);
        var (exit, stdout, stderr) = await LoomProcess.RunAsync(ws.Root, "run");
        Assert.True(exit == 0, stdout + stderr);
        Assert.Equal("built\n", ws.Read("test.txt"));
        Assert.True(ws.Exists("lint.txt"));
        Assert.Contains("[build] hello from build", stdout);
        Assert.Contains("run success", stdout);
        Assert.DoesNotContain("\e[", stdout);
    }

    [Fact]
    public async Task The_job_folders_of_a_run_are_gone_when_loom_exits()
    {
        // Two jobs in a row share one folder; two at once get one each.
        using var ws = new Workspace("""
            jobs:
              a:
                steps:
                  - run: dirname "$LOOM_OUTPUT" > a.dir
              b:
                steps:
                  - run: dirname "$LOOM_OUTPUT" > b.dir
              c:
                needs: [a, b]
                steps:
                  - run: dirname "$LOOM_OUTPUT" > c.dir
            """);
        var (exit, _, _) = await LoomProcess.RunAsync(ws.Root, "run", "-j", "2");
        Assert.Equal(0, exit);
        var folders = new[] { "a.dir", "b.dir", "c.dir" }.Select(f => ws.Read(f).Trim()).ToList();
        Assert.All(folders, folder => Assert.StartsWith(Path.GetTempPath().TrimEnd('/'), folder));
        Assert.All(folders, folder => Assert.False(Directory.Exists(folder), $"{folder} is still there"));
    }

    [Fact]
    public async Task A_failing_job_exits_1_and_its_dependents_are_skipped()
    {
        using var ws = new Workspace("""
            jobs:
              build:
                steps:
                  - run: exit 3
              test:
                needs: build
                steps:
                  - run: touch test-ran
              docs:
                steps:
                  - run: touch docs-ran
            """);
        var (exit, stdout, _) = await LoomProcess.RunAsync(ws.Root, "run");
        Assert.Equal(1, exit);
        Assert.False(ws.Exists("test-ran"));
        Assert.True(ws.Exists("docs-ran"));
        Assert.Contains("[test] skipped: needs 'build', which failed", stdout);
        Assert.Contains("exit code 3", stdout);
    }

    [Fact]
    public async Task An_invalid_file_exits_2_with_positioned_errors_and_no_stack_trace()
    {
        using var ws = new Workspace("""
            jobs:
              test:
                needs: buld
                steps:
                  - run: echo
              build:
                stepz: []
            """);
        var (exit, stdout, stderr) = await LoomProcess.RunAsync(ws.Root, "run", ".loom.yml");
        Assert.Equal(2, exit);
        Assert.Contains(".loom.yml:3:12: error: job 'test' needs 'buld', which does not exist (did you mean 'build'?)", stderr);
        Assert.DoesNotContain("   at ", stderr + stdout);
        foreach (var line in stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            Assert.Matches(@"^\.loom\.yml:\d+:\d+: error: ", line);
    }

    [Fact]
    public async Task Usage_errors_exit_2()
    {
        using var ws = new Workspace(Pipeline);
        var (exit, _, stderr) = await LoomProcess.RunAsync(ws.Root, "run", "--max-parallel", "zero");
        Assert.Equal(2, exit);
        Assert.Contains("loom: error: --max-parallel needs a positive whole number", stderr);
        (exit, _, stderr) = await LoomProcess.RunAsync(ws.Root, "run", "--max-depth", "1");
        Assert.Equal(2, exit);
        Assert.Contains("loom: error:", stderr);
        Assert.Contains("Max Depth", stderr);
        (exit, _, stderr) = await LoomProcess.RunAsync(ws.Root, "run", "--job", "nope");
        Assert.Equal(2, exit);
        Assert.Contains("no job named 'nope'", stderr);
    }

    [Fact]
    public async Task Json_prints_one_event_object_per_line()
    {
        using var ws = new Workspace(Pipeline);
        var (exit, stdout, _) = await LoomProcess.RunAsync(ws.Root, "run", "--json");
        Assert.Equal(0, exit);
        var events = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var kinds = events.Select(e => e.GetProperty("event").GetString()).ToList();
        Assert.Equal("runStarted", kinds[0]);
        Assert.Equal("runFinished", kinds[^1]);
        Assert.Equal("success", events[^1].GetProperty("result").GetString());
        Assert.Contains(events, e => e.GetProperty("event").GetString() == "outputLine" && e.GetProperty("line").GetString() == "hello from build");
        Assert.Equal(3, kinds.Count(k => k == "jobFinished"));
        Assert.DoesNotContain("\e[", stdout);
    }

    [Fact]
    public async Task Job_option_runs_that_job_and_what_it_needs_only()
    {
        using var ws = new Workspace(Pipeline);
        var (exit, _, _) = await LoomProcess.RunAsync(ws.Root, "run", "--job", "test");
        Assert.Equal(0, exit);
        Assert.True(ws.Exists("test.txt"));
        Assert.False(ws.Exists("lint.txt"));
    }

    [Fact]
    public async Task Max_parallel_bounds_how_many_jobs_overlap()
    {
        // Two jobs that each wait for the other: they pass only when both run at once.
        const string Barrier = """
            jobs:
              a:
                steps:
                  - run: touch a.started; for i in $(seq 40); do [ -f b.started ] && exit 0; sleep 0.05; done; exit 1
              b:
                steps:
                  - run: touch b.started; for i in $(seq 40); do [ -f a.started ] && exit 0; sleep 0.05; done; exit 1
            """;
        using (var ws = new Workspace(Barrier))
            Assert.Equal(0, (await LoomProcess.RunAsync(ws.Root, "run", "-j", "2")).Exit);
        using (var ws = new Workspace(Barrier))
            Assert.Equal(1, (await LoomProcess.RunAsync(ws.Root, "run", "--max-parallel=1")).Exit);
    }

    [Theory]
    [InlineData("INT", 130)]
    [InlineData("TERM", 143)]
    public async Task A_signal_cancels_the_run_kills_every_step_process_and_exits_with_its_code(string signal, int expected)
    {
        using var ws = new Workspace("""
            jobs:
              sleeper:
                steps:
                  - run: sleep 300 & echo $! > child.pid; sleep 300 & wait
              other:
                steps:
                  - run: echo $$ > other.pid; exec sleep 300
              after:
                needs: sleeper
                steps:
                  - run: touch after-ran
            """);
        using var loom = LoomProcess.Start(ws.Root, "run");
        await ws.WaitForFileAsync("child.pid");
        await ws.WaitForFileAsync("other.pid");
        loom.Signal(signal);
        Assert.Equal(expected, await loom.WaitAsync());
        await Workspace.WaitUntilGoneAsync(int.Parse(ws.Read("child.pid")));
        await Workspace.WaitUntilGoneAsync(int.Parse(ws.Read("other.pid")));
        Assert.False(ws.Exists("after-ran"));
        Assert.Contains("run cancelled", loom.Stdout);
    }

    [Fact]
    public async Task A_second_interrupt_stops_at_once_even_while_always_steps_run()
    {
        using var ws = new Workspace("""
            jobs:
              work:
                steps:
                  - run: echo $$ > work.pid; exec sleep 300
                  - if: always()
                    run: echo $$ > cleanup.pid; exec sleep 300
            """);
        using var loom = LoomProcess.Start(ws.Root, "run");
        await ws.WaitForFileAsync("work.pid");
        loom.Signal("INT");
        await ws.WaitForFileAsync("cleanup.pid");
        loom.Signal("INT");
        Assert.Equal(130, await loom.WaitAsync());
        await Workspace.WaitUntilGoneAsync(int.Parse(ws.Read("work.pid")));
        await Workspace.WaitUntilGoneAsync(int.Parse(ws.Read("cleanup.pid")));
    }

    [Fact]
    public async Task A_step_timeout_kills_the_step_tree_and_fails_the_job()
    {
        using var ws = new Workspace("""
            jobs:
              slow:
                steps:
                  - timeout-minutes: 0.01
                    run: sleep 300 & echo $! > child.pid; wait
            """);
        var (exit, stdout, _) = await LoomProcess.RunAsync(ws.Root, "run");
        Assert.Equal(1, exit);
        Assert.Contains("timed out", stdout);
        await Workspace.WaitUntilGoneAsync(int.Parse(ws.Read("child.pid")));
    }

    [Fact]
    public async Task Steps_see_the_layered_environment_and_loom_variables()
    {
        using var ws = new Workspace("""
            env: { LEVEL: workflow, W: w }
            jobs:
              show:
                env: { LEVEL: job, J: j }
                steps:
                  - env: { LEVEL: step }
                    run: echo "$LEVEL $W $J $CI $LOOM $LOOM_JOB $(basename "$LOOM_WORKSPACE")" > env.txt
            """);
        Assert.Equal(0, (await LoomProcess.RunAsync(ws.Root, "run")).Exit);
        Assert.Equal($"step w j true true show {Path.GetFileName(ws.Root)}\n", ws.Read("env.txt"));
    }

    [Fact]
    public async Task Job_files_exist_for_each_step_and_are_gone_when_loom_exits()
    {
        using var ws = new Workspace("""
            jobs:
              writes:
                steps:
                  - run: test -f "$LOOM_OUTPUT" && echo "$LOOM_OUTPUT" >> paths.txt && echo "version=1" >> "$LOOM_OUTPUT"
              reads:
                needs: writes
                steps:
                  - run: test -f "$LOOM_ENV" && test ! -s "$LOOM_OUTPUT" && echo "$LOOM_OUTPUT" >> paths.txt
            """);
        var (exit, stdout, stderr) = await LoomProcess.RunAsync(ws.Root, "run", "--max-parallel", "1");
        Assert.True(exit == 0, stdout + stderr);
        var paths = File.ReadAllLines(ws.PathOf("paths.txt"));
        Assert.Equal(2, paths.Length);
        Assert.All(paths, p => Assert.False(Directory.Exists(Path.GetDirectoryName(p)), $"{p} is still there"));
    }
}
