using Akka.Actor;
using Loom.Actors.Protocol;
using Loom.Core.Model;
using static Loom.Actors.Protocol.RunEvents;

namespace Loom.Actors.Tests.Actors;

public sealed class SchedulerActorTests : LoomActorTestBase
{
    [Fact]
    public void Runs_jobs_for_real_in_dependency_order_and_streams_their_output()
    {
        WriteWorkflow("""
            jobs:
              first:
                steps:
                  - run: echo one > first.txt
              second:
                needs: first
                steps:
                  - run: cat first.txt > second.txt; echo two >> second.txt
                  - run: echo "hello from $LOOM_JOB"
            """);
        var seen = UntilFinished(Submit("order"));
        Assert.Equal(Result.Success, seen.OfType<RunFinished>().Single().Result);
        Assert.Equal("one\ntwo\n", File.ReadAllText(Path.Combine(Workspace, "second.txt")));
        Assert.Contains(seen.OfType<OutputLine>(), o => o is { JobId: "second", Line: "hello from second" });
        var finished = seen.OfType<JobFinished>().Select(f => f.JobId).ToList();
        Assert.Equal(["first", "second"], finished);
    }

    [Fact]
    public void Steps_that_end_as_they_start_are_reported_in_order_with_steps_that_print()
    {
        // Quiet quick steps are reported together with what follows them (one message): the order must not change.
        WriteWorkflow("""
            jobs:
              mixed:
                steps:
                  - run: "true"
                  - run: echo hi
                  - run: "true"
                  - if: false
                    run: echo never
                  - run: exit 3
                    continue-on-error: true
                  - run: "true"
            """);
        var seen = UntilFinished(Submit("quick-order"));
        var reports = seen.Select(n => n switch
        {
            StepStarted s => $"start {s.Step}",
            OutputLine o => $"line {o.Step} {o.Line}",
            StepFinished f => $"end {f.Step} {f.Outcome.ToWire()} {f.ExitCode}",
            JobFinished j => $"job {j.Result.ToWire()}",
            _ => null,
        }).OfType<string>().ToList();
        Assert.Equal(
        [
            "start 0", "end 0 success 0", "start 1", "line 1 hi", "end 1 success 0", "start 2", "end 2 success 0",
            "end 3 skipped ", "start 4", "end 4 failure 3", "start 5", "end 5 success 0", "job success",
        ], reports);
    }

    [Fact]
    public void A_job_of_many_steps_that_end_as_they_start_is_reported_as_it_goes_and_can_be_cancelled()
    {
        const int steps = 1000;
        WriteWorkflow("jobs:\n  many:\n    steps:\n" + string.Concat(Enumerable.Repeat("      - run: \"true\"\n", steps)));
        var subscriber = Submit("many-quick");
        subscriber.FishForMessage(m => m is StepFinished, Patience);
        Guardian.Tell(new LoomProtocol.CancelRun("many-quick", "test"));

        var seen = UntilFinished(subscriber);

        Assert.Equal(Result.Cancelled, seen.OfType<RunFinished>().Single().Result);
        // The cancel got in while the steps went on, not after all of them.
        var started = seen.OfType<StepStarted>().Count();
        Assert.True(started < steps / 2, $"{started} more steps started after the cancel");
    }

    [Fact]
    public void Independent_jobs_really_run_at_the_same_time()
    {
        // Each job waits for the other's marker: they can only both succeed if they overlap.
        const string wait = "touch {0}.started; for i in $(seq 400); do [ -f {1}.started ] && exit 0; sleep 0.05; done; exit 1";
        WriteWorkflow($"""
            jobs:
              a:
                steps:
                  - run: {string.Format(wait, "a", "b")}
              b:
                steps:
                  - run: {string.Format(wait, "b", "a")}
            """);
        var seen = UntilFinished(Submit("parallel", maxParallel: 2));
        Assert.Equal(Result.Success, seen.OfType<RunFinished>().Single().Result);
    }

    [Fact]
    public void An_invalid_workflow_is_rejected_with_every_error_and_nothing_runs()
    {
        WriteWorkflow("""
            jobs:
              test:
                needs: buld
                steps:
                  - run: touch ran.txt
              build:
                steps: []
            """);
        var rejected = Submit("invalid").ExpectMsg<LoomProtocol.RunRejected>(Patience);
        Assert.Contains(rejected.Errors, e => e.StartsWith(".loom.yml:3:12: error:", StringComparison.Ordinal) && e.Contains("did you mean 'build'"));
        Assert.True(rejected.Errors.Count >= 2);
        Assert.False(File.Exists(Path.Combine(Workspace, "ran.txt")));
    }

    [Fact]
    public async Task A_runner_that_throws_mid_step_fails_only_its_job_and_leaves_no_process()
    {
        WriteWorkflow("""
            jobs:
              victim:
                steps:
                  - run: echo $$ > victim.pid; sleep 300 & echo $! > child.pid; wait
              bystander:
                steps:
                  - run: for i in $(seq 600); do [ -s victim.pid ] && exit 0; sleep 0.05; done; exit 1
              after-bystander:
                needs: bystander
                steps:
                  - run: echo done
            """);
        var subscriber = Submit("crash");
        var accepted = subscriber.ExpectMsg<LoomProtocol.RunAccepted>(Patience);
        await WaitForFileAsync(Path.Combine(Workspace, "child.pid"));
        var shellPid = int.Parse(File.ReadAllText(Path.Combine(Workspace, "victim.pid")));
        var childPid = int.Parse(File.ReadAllText(Path.Combine(Workspace, "child.pid")));

        // Kill makes the actor throw ActorKilledException inside itself: a real crash, handled by supervision.
        var runner = await Sys.ActorSelection(accepted.Scheduler.Path / "runner-victim-1").ResolveOne(Patience);
        runner.Tell(Kill.Instance);

        var seen = UntilFinished(subscriber);
        Assert.Equal(Result.Failure, seen.OfType<JobFinished>().Single(f => f.JobId == "victim").Result);
        Assert.Equal(Result.Success, seen.OfType<JobFinished>().Single(f => f.JobId == "bystander").Result);
        Assert.Equal(Result.Success, seen.OfType<JobFinished>().Single(f => f.JobId == "after-bystander").Result);
        Assert.Equal(Result.Failure, seen.OfType<RunFinished>().Single().Result);
        await WaitUntilGoneAsync(shellPid);
        await WaitUntilGoneAsync(childPid);
    }

    [Fact]
    public async Task A_job_timeout_kills_the_step_tree_and_cancels_the_job_but_always_steps_run()
    {
        WriteWorkflow("""
            jobs:
              slow:
                timeout-minutes: 0.02
                steps:
                  - run: sleep 300 & echo $! > sleeper.pid; wait
                  - run: echo skipped-after-timeout
                  - if: always()
                    run: echo cleanup ran > cleanup.txt
            """);
        var seen = UntilFinished(Submit("timeout"));
        var job = seen.OfType<JobFinished>().Single();
        Assert.Equal(Result.Cancelled, job.Result);
        Assert.True(job.TimedOut);
        Assert.Equal(Result.Failure, seen.OfType<RunFinished>().Single().Result);
        Assert.True(File.Exists(Path.Combine(Workspace, "cleanup.txt")));
        Assert.DoesNotContain(seen.OfType<OutputLine>(), o => o.Line == "skipped-after-timeout");
        await WaitUntilGoneAsync(int.Parse(File.ReadAllText(Path.Combine(Workspace, "sleeper.pid"))));
    }

    [Fact]
    public async Task Cancelling_a_run_kills_running_steps_and_reports_cancelled()
    {
        WriteWorkflow("""
            jobs:
              long:
                steps:
                  - run: sleep 300 & echo $! > sleeper.pid; wait
              later:
                needs: long
                steps:
                  - run: touch later.txt
            """);
        var subscriber = Submit("cancel");
        await WaitForFileAsync(Path.Combine(Workspace, "sleeper.pid"));
        Guardian.Tell(new LoomProtocol.CancelRun("cancel", "test"));
        var seen = UntilFinished(subscriber);
        Assert.Equal(Result.Cancelled, seen.OfType<RunFinished>().Single().Result);
        Assert.Equal(Result.Cancelled, seen.OfType<JobFinished>().Single().Result);
        Assert.Equal(Result.Cancelled, seen.OfType<JobSkipped>().Single(s => s.JobId == "later").Result);
        Assert.False(File.Exists(Path.Combine(Workspace, "later.txt")));
        await WaitUntilGoneAsync(int.Parse(File.ReadAllText(Path.Combine(Workspace, "sleeper.pid"))));
    }

    [Fact]
    public async Task Each_job_starts_with_empty_writable_job_files_which_are_gone_once_the_run_has_ended()
    {
        // One job at a time, so the second job is handed the folder the first one used if it could be.
        const string check = """
            for f in "$LOOM_OUTPUT" "$LOOM_ENV" "$LOOM_PATH" "$LOOM_STEP_SUMMARY"; do
              [ -f "$f" ] && [ -w "$f" ] && [ ! -s "$f" ] || { echo "not an empty writable file: $f"; exit 1; }
            done
            [ "$GITHUB_OUTPUT" = "$LOOM_OUTPUT" ] || exit 1
            echo "$LOOM_OUTPUT" >> paths.txt
            """;
        WriteWorkflow($"""
            jobs:
              first:
                steps:
                  - run: |
            {Indent(check, 12)}
                  - run: echo "version=1" >> "$LOOM_OUTPUT"; echo "## done" >> "$LOOM_STEP_SUMMARY"
              second:
                needs: first
                steps:
                  - run: |
            {Indent(check, 12)}
              third:
                needs: second
                steps:
                  - run: |
            {Indent(check, 12)}
            """);
        var seen = UntilFinished(Submit("files", maxParallel: 1));
        Assert.Equal(Result.Success, seen.OfType<RunFinished>().Single().Result);
        var paths = File.ReadAllLines(Path.Combine(Workspace, "paths.txt"));
        Assert.Equal(3, paths.Length);
        // The runner reads and empties the files after each step, so the first job's folder is handed on
        // (and the check above proved each job found its files empty).
        Assert.Equal(paths[0], paths[1]);
        Assert.Equal(paths[1], paths[2]);
        await AwaitConditionAsync(() => Task.FromResult(paths.All(p => !Directory.Exists(Path.GetDirectoryName(p)))), Patience);
    }

    private static string Indent(string text, int spaces) =>
        string.Join('\n', text.Split('\n').Select(line => line.Length == 0 ? line : new string(' ', spaces) + line));
}
