namespace Loom.Cli.Tests;

/// <summary><c>kill -9</c> of <c>loom run</c> in the middle of a run, then <c>loom run --resume</c>, with real processes.</summary>
public sealed class ResumeTests
{
    // `slow` leaves a sleeping grandchild behind (its pid in sleeper.pid) until the test allows it to finish.
    private const string Yaml = """
        name: resumable
        jobs:
          fast:
            steps:
              - run: echo ran >> fast.count
          slow:
            needs: fast
            steps:
              - run: echo ran >> slow.count
              - run: |
                  if [ -f go-on ]; then exit 0; fi
                  sleep 300 &
                  echo $! > sleeper.pid
                  wait
          after:
            needs: slow
            steps:
              - run: echo ran >> after.count
        """;

    [Fact]
    public async Task A_killed_run_resumes_where_it_stopped_after_killing_what_its_steps_left()
    {
        using var ws = new Workspace(Yaml);
        var sleeper = await KillWhileSlowSleepsAsync(ws);

        var (runsExit, runs, _) = await LoomProcess.RunAsync(ws.Root, "runs");
        Assert.Equal(0, runsExit);
        Assert.Contains("unfinished", runs);

        var stdout = await ResumeAsync(ws, sleeper);

        // What succeeded ran once; what was running ran again; what had not started ran once.
        Assert.Equal("ran\n", ws.Read("fast.count"));
        Assert.Equal("ran\nran\n", ws.Read("slow.count"));
        Assert.Equal("ran\n", ws.Read("after.count"));
        Assert.Contains("interrupted", stdout);

        // One run in the history, finished, with the interrupted attempt recorded.
        var (_, history, _) = await LoomProcess.RunAsync(ws.Root, "runs");
        var lines = history.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Contains("success", lines[1]);
        var runId = lines[1].Split(' ')[0];
        var (_, show, _) = await LoomProcess.RunAsync(ws.Root, "show", runId);
        Assert.Matches(@"slow\s+success\s+\S+\s+attempt 2", show);

        // Nothing is left to resume, and a finished run is refused by name.
        var (again, _, againErr) = await LoomProcess.RunAsync(ws.Root, "run", "--resume");
        Assert.Equal(2, again);
        Assert.Contains("no interrupted run", againErr);
        var (named, _, namedErr) = await LoomProcess.RunAsync(ws.Root, "run", "--resume", runId);
        Assert.Equal(2, named);
        Assert.Contains("finished (success)", namedErr);
    }

    [Fact]
    public async Task A_step_whose_start_the_journal_lost_is_still_killed_and_its_attempt_recorded()
    {
        // A loom killed before its journal wrote its last events (the journal gathers a few milliseconds of them per
        // transaction) loses them; here that moment is made exact by deleting from the journal everything from the
        // start of `slow` on. Only the run's process ledger still knows the step's process and its attempt.
        using var ws = new Workspace(Yaml);
        var sleeper = await KillWhileSlowSleepsAsync(ws);
        using (var journal = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={ws.PathOf(".loom/journal.db")};Pooling=False"))
        {
            journal.Open();
            using var command = journal.CreateCommand();
            command.CommandText = $"DELETE FROM event_journal WHERE sequence_nr >= (SELECT min(sequence_nr) FROM event_journal WHERE {SlowStarted})";
            command.ExecuteNonQuery();
            // (Under load the dead loom may not even have written it: the same loss.)
            command.CommandText = $"SELECT count(*) FROM event_journal WHERE {SlowStarted}";
            Assert.Equal(0L, (long)command.ExecuteScalar()!);
        }

        var stdout = await ResumeAsync(ws, sleeper);
        Assert.Equal("ran\nran\n", ws.Read("slow.count"));
        Assert.Equal("ran\n", ws.Read("after.count"));
        var interrupted = stdout.Split('\n').Where(l => l.Contains("interrupted")).ToList();
        Assert.True(interrupted is [var only] && only.Contains("slow"), stdout);

        // The lost attempt is in the history: the one that finished is the second.
        var (_, history, _) = await LoomProcess.RunAsync(ws.Root, "runs");
        var runId = history.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1].Split(' ')[0];
        var (_, show, _) = await LoomProcess.RunAsync(ws.Root, "show", runId);
        Assert.Matches(@"slow\s+success\s+\S+\s+attempt 2", show);
    }

    /// <summary>Lets <c>slow</c> finish, runs <c>loom run --resume</c> (which must succeed) and waits until it has killed the old sleeper; returns its output.</summary>
    private static async Task<string> ResumeAsync(Workspace ws, int sleeper)
    {
        File.WriteAllText(ws.PathOf("go-on"), "");
        var (exit, stdout, stderr) = await LoomProcess.RunAsync(ws.Root, "run", "--resume", "--plain");
        Assert.True(exit == 0, stdout + stderr);
        await Workspace.WaitUntilGoneAsync(sleeper);
        return stdout;
    }

    private const string SlowStarted = "manifest LIKE '%.JobStarted' AND instr(payload, CAST('slow' AS BLOB)) > 0";

    /// <summary>Starts the run, <c>kill -9</c>s its <c>loom</c> while <c>slow</c>'s second step sleeps; returns the sleeper, still alive.</summary>
    private static async Task<int> KillWhileSlowSleepsAsync(Workspace ws)
    {
        using (var first = LoomProcess.Start(ws.Root, "run", "--plain"))
        {
            await ws.WaitForFileAsync("sleeper.pid");
            // The journal writes a few milliseconds of events at a time, so a kill can take the last ones (fast's end
            // among them: fast then runs again). Killed once slow's start is written, the run has a known record.
            await WaitUntilJournaledAsync(ws, SlowStarted);
            first.Signal("KILL");
            await first.WaitAsync();
        }
        var sleeper = int.Parse(ws.Read("sleeper.pid").Trim());
        Assert.True(Workspace.ProcessAlive(sleeper), "the step's process outlived its loom: that is what resume must clean up");
        return sleeper;
    }

    private static async Task WaitUntilJournaledAsync(Workspace ws, string condition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var journal = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={ws.PathOf(".loom/journal.db")};Mode=ReadOnly;Pooling=False");
        journal.Open();
        using var command = journal.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM event_journal WHERE {condition}";
        while ((long)command.ExecuteScalar()! == 0)
        {
            Assert.True(clock.Elapsed < LoomProcess.Patience, $"never journaled: {condition}");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task A_run_that_is_still_going_on_is_not_resumed_by_a_second_loom()
    {
        using var ws = new Workspace(Yaml);
        using var first = LoomProcess.Start(ws.Root, "run", "--plain");
        await ws.WaitForFileAsync("sleeper.pid");
        var (_, runs, _) = await LoomProcess.RunAsync(ws.Root, "runs");
        var runId = runs.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1].Split(' ')[0];

        var (latest, _, latestErr) = await LoomProcess.RunAsync(ws.Root, "run", "--resume");
        Assert.Equal(2, latest);
        Assert.Contains("no interrupted run", latestErr);
        var (named, _, namedErr) = await LoomProcess.RunAsync(ws.Root, "run", "--resume", runId);
        Assert.Equal(2, named);
        Assert.Contains($"run {runId} is going on in pid {first.Pid}", namedErr);

        File.WriteAllText(ws.PathOf("go-on"), "");
        first.Signal("TERM");
        await first.WaitAsync();
    }
}

/// <summary><c>loom retry RUN</c>: the failed job and its dependents run again, what succeeded is carried with its outputs.</summary>
public sealed class RetryTests
{
    [Fact]
    public async Task Retry_runs_only_the_failed_jobs_and_their_dependents_with_the_kept_jobs_outputs()
    {
        using var ws = new Workspace("""
            name: retried
            jobs:
              build:
                outputs: { version: "${{ steps.v.outputs.version }}" }
                steps:
                  - id: v
                    run: |
                      echo ran >> build.count
                      echo "version=1.$(wc -l < build.count)" >> "$LOOM_OUTPUT"
              test:
                needs: build
                steps:
                  - run: |
                      echo ran >> test.count
                      test -f fixed
              ship:
                needs: [test, build]
                steps:
                  - run: echo "${{ needs.test.result }} ${{ needs.build.outputs.version }}" >> ship.log
                    shell: bash
              docs:
                needs: build
                steps:
                  - run: echo ran >> docs.count
            """);
        var (failed, _, _) = await LoomProcess.RunAsync(ws.Root, "run", "--plain");
        Assert.Equal(1, failed);
        var (_, runs, _) = await LoomProcess.RunAsync(ws.Root, "runs");
        var first = runs.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1].Split(' ')[0];

        File.WriteAllText(ws.PathOf("fixed"), "");
        var (exit, stdout, stderr) = await LoomProcess.RunAsync(ws.Root, "retry", first, "--plain");
        Assert.True(exit == 0, stdout + stderr);
        Assert.Equal("ran\n", ws.Read("build.count"));
        Assert.Equal("ran\n", ws.Read("docs.count"));
        Assert.Equal("ran\nran\n", ws.Read("test.count"));
        // The carried job's output is the one it had in the first run.
        Assert.Equal("success 1.1\n", ws.Read("ship.log"));
        Assert.Contains($"carried from run {first}", stdout);

        var (again, _, againErr) = await LoomProcess.RunAsync(ws.Root, "retry", first);
        Assert.Equal(0, again);
        Assert.Equal("ran\nran\nran\n", ws.Read("test.count"));
        var (_, all, _) = await LoomProcess.RunAsync(ws.Root, "runs");
        var newest = all.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1].Split(' ')[0];
        var (nothing, _, nothingErr) = await LoomProcess.RunAsync(ws.Root, "retry", newest);
        Assert.Equal(2, nothing);
        Assert.Contains("nothing to retry", nothingErr);
        Assert.Empty(againErr);
    }
}
