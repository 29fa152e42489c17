namespace Loom.Cli.Tests.Conformance;

/// <summary>Spec §1: the workflow file's top-level keys.</summary>
public abstract class Section1FileTests(ConformanceCluster? cluster) : ConformanceTests(cluster)
{
    public sealed class Local() : Section1FileTests(null);

    [ClusterMode, Collection(ConformanceCluster.Collection)]
    public sealed class OnCluster(ConformanceCluster cluster) : Section1FileTests(cluster);

    [Case]
    public async Task The_name_defaults_to_the_folder_for_dot_loom_yml_and_the_name_key_wins()
    {
        using var ws = NewWorkspace("jobs: { a: { steps: [ { run: 'true' } ] } }");
        var run = await LoomRun.JsonAsync(ws);
        Assert.True(run.Exit == 0, run.Transcript);
        Assert.Equal(Path.GetFileName(ws.Root), run.Of("runStarted").Single().GetProperty("workflow").GetString());

        File.WriteAllText(ws.PathOf("named.yml"), "name: my ci\njobs: { a: { steps: [ { run: 'true' } ] } }");
        run = await LoomRun.JsonAsync(ws, "named.yml");
        Assert.True(run.Exit == 0, run.Transcript);
        Assert.Equal("my ci", run.Of("runStarted").Single().GetProperty("workflow").GetString());
    }

    [Case]
    public async Task The_name_of_any_other_file_defaults_to_its_path_as_given()
    {
        using var ws = NewWorkspace("jobs: { a: { steps: [ { run: 'true' } ] } }", "ci.yml");
        var run = await LoomRun.JsonAsync(ws, "ci.yml");
        Assert.True(run.Exit == 0, run.Transcript);
        Assert.Equal("ci.yml", run.Of("runStarted").Single().GetProperty("workflow").GetString());
    }

    [Case]
    public async Task Env_is_layered_workflow_then_job_then_step_and_scalars_become_strings()
    {
        using var ws = NewWorkspace("""
            env:
              LEVEL: workflow
              FROM_WORKFLOW: w
              COUNT: 1
              RATIO: 2.5
              ENABLED: true
              EMPTY:
            jobs:
              layered:
                env: { LEVEL: job, FROM_JOB: j }
                steps:
                  - env: { LEVEL: step }
                    run: echo "$LEVEL $FROM_WORKFLOW $FROM_JOB" > step-level.txt
                  - run: echo "$LEVEL" > job-level.txt
                  - run: echo "$COUNT|$RATIO|$ENABLED|${EMPTY-unset}|${{ env.COUNT }}|${{ env.ENABLED == 'true' }}" > scalars.txt
              plain:
                steps:
                  - run: echo "$LEVEL ${FROM_JOB:-none}" > workflow-level.txt
            """);
        var run = await LoomRun.JsonAsync(ws);
        Assert.True(run.Exit == 0, run.Transcript);
        Assert.Equal("step w j\n", ws.Read("step-level.txt"));
        Assert.Equal("job\n", ws.Read("job-level.txt"));
        Assert.Equal("workflow none\n", ws.Read("workflow-level.txt"));
        Assert.Equal("1|2.5|true||1|true\n", ws.Read("scalars.txt"));
    }

    [Case]
    public async Task On_permissions_run_name_and_x_keys_are_accepted_and_ignored_while_other_unknown_keys_are_errors()
    {
        using var ws = NewWorkspace("""
            on:
              push: { branches: [main] }
              pull_request:
            permissions: read-all
            run-name: Deploy by ${{ github.actor }}
            x-shared: &shared { anything: [1, 2] }
            jobs:
              build:
                x-note: this job is ours
                permissions: { contents: read }
                steps:
                  - x-step-note: *shared
                    run: touch ran.txt
            """);
        var run = await LoomRun.JsonAsync(ws);
        Assert.True(run.Exit == 0, run.Transcript);
        Assert.True(ws.Exists("ran.txt"));

        File.WriteAllText(ws.PathOf("bad.yml"), """
            jobs:
              build:
                y-note: not an extension
                steps:
                  - run: touch bad-ran.txt
            """);
        var (exit, _, stderr) = await ws.LoomAsync("run", "bad.yml");
        Assert.Equal(2, exit);
        Assert.Contains("bad.yml:3:5: error:", stderr);
        Assert.Contains("y-note", stderr);
        Assert.False(ws.Exists("bad-ran.txt"));
    }

    [Case]
    public async Task A_duplicate_job_id_is_an_error_at_its_second_occurrence()
    {
        using var ws = NewWorkspace("""
            jobs:
              build:
                steps: [ { run: touch first.txt } ]
              build:
                steps: [ { run: touch second.txt } ]
            """);
        var (exit, _, stderr) = await ws.LoomAsync("run");
        Assert.Equal(2, exit);
        Assert.Contains(".loom.yml:4:3: error:", stderr);
        Assert.False(ws.Exists("first.txt") || ws.Exists("second.txt"));
    }

    [Case]
    public async Task Defaults_run_sets_shell_and_working_directory_with_the_job_over_the_workflow_and_the_step_over_both()
    {
        using var ws = NewWorkspace("""
            defaults:
              run:
                shell: python
                working-directory: wf-dir
            jobs:
              inherits:
                steps:
                  - run: |
                      import os, sys
                      open("where.txt", "w").write(os.path.basename(os.getcwd()) + " " + sys.version_info.major.__str__() + "\n")
              overrides:
                defaults:
                  run:
                    shell: sh
                    working-directory: job-dir
                steps:
                  - run: echo "$(basename "$PWD") ${BASH_VERSION:-no-bash}" > where.txt
                  - shell: bash
                    working-directory: step-dir
                    run: echo "$(basename "$PWD") ${BASH_VERSION:+bash}" > where.txt
            """);
        foreach (var dir in new[] { "wf-dir", "job-dir", "step-dir" })
            Directory.CreateDirectory(ws.PathOf(dir));
        var run = await LoomRun.JsonAsync(ws);
        Assert.True(run.Exit == 0, run.Transcript);
        Assert.Equal("wf-dir 3\n", ws.Read("wf-dir/where.txt"));
        Assert.Equal("job-dir no-bash\n", ws.Read("job-dir/where.txt"));
        Assert.Equal("step-dir bash\n", ws.Read("step-dir/where.txt"));
    }

    // Each job records which other jobs were running when it started, then stays a moment.
    private static string OverlapJobs(int count, string prefix = "") => string.Concat(Enumerable.Range(1, count).Select(i => $"""
          {prefix}job{i}:
            steps:
              - run: ls running.* > seen.job{i} 2>/dev/null || true; touch running.job{i}; sleep 0.3; rm running.job{i}

        """));

    // Two jobs that each wait for the other: they both succeed only when they run at the same time.
    private const string Barrier = """
          left:
            steps:
              - run: touch left.started; for i in $(seq 100); do [ -f right.started ] && exit 0; sleep 0.05; done; exit 1
          right:
            steps:
              - run: touch right.started; for i in $(seq 100); do [ -f left.started ] && exit 0; sleep 0.05; done; exit 1

        """;

    [Case]
    [NotOnCluster("the jobs see each other through files in the workspace; jobs of one run on different nodes do not share files (each node has its own copy of the workspace), so the case would prove nothing")]
    public async Task Max_parallel_in_the_file_keeps_jobs_from_overlapping()
    {
        using var ws = NewWorkspace("max-parallel: 1\njobs:\n" + OverlapJobs(3));
        var run = await LoomRun.JsonAsync(ws);
        Assert.True(run.Exit == 0, run.Transcript);
        for (var i = 1; i <= 3; i++)
            Assert.True(ws.Read($"seen.job{i}") == "", $"job{i} started while {ws.Read($"seen.job{i}").Trim()} ran");
    }

    [Case]
    [NotOnCluster("the jobs wait for each other through files in the workspace; jobs of one run on different nodes do not share files (each node has its own copy of the workspace)")]
    public async Task Max_parallel_in_the_file_allows_that_many_at_once_and_the_command_line_wins()
    {
        using (var ws = NewWorkspace("max-parallel: 2\njobs:\n" + Barrier))
        {
            var run = await LoomRun.JsonAsync(ws);
            Assert.True(run.Exit == 0, run.Transcript);
        }
        using (var ws = NewWorkspace("max-parallel: 1\njobs:\n" + Barrier))
        {
            var run = await LoomRun.JsonAsync(ws, "-j", "2");
            Assert.True(run.Exit == 0, run.Transcript);
        }
        using (var ws = NewWorkspace("max-parallel: 3\njobs:\n" + OverlapJobs(3)))
        {
            var run = await LoomRun.JsonAsync(ws, "-j", "1");
            Assert.True(run.Exit == 0, run.Transcript);
            for (var i = 1; i <= 3; i++)
                Assert.Equal("", ws.Read($"seen.job{i}"));
        }
    }

    // The runs of one group see each other through a folder outside their workspace (each run on a cluster has its own
    // copy of the workspace), named by a variable.
    private static async Task WithSharedFolder(Func<string, Task> test)
    {
        var shared = Directory.CreateTempSubdirectory("loom-group-").FullName;
        try
        {
            await test(shared);
        }
        finally
        {
            Directory.Delete(shared, recursive: true);
        }
    }

    [Case]
    public Task Runs_of_one_concurrency_group_do_not_overlap() => WithSharedFolder(async shared =>
    {
        using var ws = NewWorkspace("""
            concurrency: deploy-${{ loom.ref }}
            jobs:
              deploy:
                steps:
                  - run: |
                      cd "${{ vars.shared }}"
                      ls running.* > "seen.$LOOM_RUN_ID" 2>/dev/null || true
                      touch "running.$LOOM_RUN_ID"
                      echo "$LOOM_RUN_ID" >> started.txt
                      while [ ! -f go-on ]; do sleep 0.05; done
                      rm "running.$LOOM_RUN_ID"
            """);
        using var first = ws.StartLoom("run", "--json", "--var", $"shared={shared}");
        // Created (by the shell's redirection) a moment before the id is written into it.
        var started = Path.Combine(shared, "started.txt");
        await RunLogTests.WaitUntilAsync(() => File.Exists(started) && File.ReadAllText(started).EndsWith('\n'));
        var firstRun = File.ReadAllText(started).Trim();
        using var second = ws.StartLoom("run", "--json", "--var", $"shared={shared}");
        // The first run goes on until the second is seen waiting for it.
        await RunLogTests.WaitUntilAsync(() => second.Stderr.Contains("waiting for run"));
        Assert.Contains($"waiting for run {firstRun} (group deploy-)\n", second.Stderr);
        File.WriteAllText(Path.Combine(shared, "go-on"), "");
        Assert.Equal(0, await first.WaitAsync());
        Assert.Equal(0, await second.WaitAsync());
        var waiting = LoomRun.FromFinished(0, second.Stdout, second.Stderr).Of("runWaiting").Single();
        Assert.Equal(firstRun, waiting.GetProperty("holder").GetString());
        var seen = Directory.GetFiles(shared, "seen.*");
        Assert.Equal(2, seen.Length);
        Assert.All(seen, file => Assert.True(File.ReadAllText(file) == "", $"{Path.GetFileName(file)} overlapped {File.ReadAllText(file)}"));
    });

    [Case]
    public Task Interrupting_a_run_that_waits_for_its_group_exits_130_and_it_never_starts() => WithSharedFolder(async shared =>
    {
        using var ws = NewWorkspace("""
            concurrency: one-at-a-time
            jobs:
              a:
                steps:
                  - run: |
                      cd "${{ vars.shared }}"
                      echo "$LOOM_RUN_ID" >> started.txt
                      while [ ! -f go-on ]; do sleep 0.05; done
            """);
        using var first = ws.StartLoom("run", "--json", "--var", $"shared={shared}");
        var started = Path.Combine(shared, "started.txt");
        await RunLogTests.WaitUntilAsync(() => File.Exists(started));
        using var second = ws.StartLoom("run", "--json", "--var", $"shared={shared}");
        await RunLogTests.WaitUntilAsync(() => second.Stderr.Contains("waiting for run"));
        second.Signal("INT");
        Assert.Equal(130, await second.WaitAsync());

        File.WriteAllText(Path.Combine(shared, "go-on"), "");
        Assert.Equal(0, await first.WaitAsync());
        Assert.Single(File.ReadAllLines(started));
        Assert.Empty(LoomRun.FromFinished(130, second.Stdout, second.Stderr).Of("runStarted"));
    });

    [Case]
    public Task Cancel_in_progress_cancels_the_older_run_of_the_group() => WithSharedFolder(async shared =>
    {
        using var ws = NewWorkspace("""
            concurrency: { group: deploy, cancel-in-progress: true }
            jobs:
              deploy:
                steps:
                  - run: |
                      cd "${{ vars.shared }}"
                      if [ -e older.started ]; then touch newer.ran; exit 0; fi
                      echo "$LOOM_RUN_ID" > older.started
                      sleep 20
                      touch older.finished
            """);
        using var older = ws.StartLoom("run", "--json", "--var", $"shared={shared}");
        // Created (by the shell's redirection) a moment before the id is written into it.
        var olderStarted = Path.Combine(shared, "older.started");
        await RunLogTests.WaitUntilAsync(() => File.Exists(olderStarted) && File.ReadAllText(olderStarted).EndsWith('\n'));
        var olderId = File.ReadAllText(olderStarted).Trim();
        using var newer = ws.StartLoom("run", "--json", "--var", $"shared={shared}");
        Assert.Equal(0, await newer.WaitAsync());
        Assert.Contains($"cancelling run {olderId} (group deploy, cancel-in-progress)\n", newer.Stderr);
        var olderExit = await older.WaitAsync();
        var olderRun = LoomRun.FromFinished(olderExit, older.Stdout, older.Stderr);
        Assert.Equal("cancelled", olderRun.RunResult);
        Assert.NotEqual(0, olderExit);
        Assert.True(File.Exists(Path.Combine(shared, "newer.ran")));
        Assert.False(File.Exists(Path.Combine(shared, "older.finished")));
    });
}
