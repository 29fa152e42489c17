using Loom.Actors.Protocol;
using Loom.Actors.Scheduling;
using Loom.Core.Model;
using Loom.Core.Parsing;
using static Loom.Actors.Protocol.RunEvents;

namespace Loom.Actors.Tests.Scheduling;

/// <summary>Matrix, retry, fail-fast and job-level expressions in the plain scheduling state (no actors).</summary>
public sealed class RunStateLanguageTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    private static (RunState State, List<IRunEvent> Events) Start(string yaml, int maxParallel = 8, RunContexts? contexts = null)
    {
        var loaded = WorkflowLoader.Load("w.yml", yaml);
        Assert.True(loaded.Succeeded, string.Join("\n", loaded.Errors));
        var state = new RunState(RunPlan.Create("r1", loaded.Workflow!, [], maxParallel), contexts);
        return (state, state.Handle(new SchedulerProtocol.Start(Akka.Actor.ActorRefs.Nobody), Now));
    }

    private static List<IRunEvent> Finish(RunState state, string job, Result result, Dictionary<string, string>? outputs = null) =>
        state.Handle(new SchedulerProtocol.JobFinished(job, result, false, null, TimeSpan.FromSeconds(1), outputs), Now);

    private static string[] Started(IEnumerable<IRunEvent> events) => events.OfType<JobStarted>().Select(e => e.JobId).ToArray();

    [Fact]
    public void A_matrix_job_runs_each_cell_and_its_dependent_waits_for_all_of_them()
    {
        var (state, events) = Start("""
            jobs:
              build:
                strategy: { matrix: { os: [linux, mac], node: [8] } }
                steps: [{ run: x }]
              ship:
                needs: build
                steps: [{ run: x }]
            """);
        var expanded = events.OfType<MatrixExpanded>().Single();
        Assert.Equal(["build (linux, 8)", "build (mac, 8)"], expanded.Cells.Select(c => c.Id));
        Assert.Equal(["build (linux, 8)", "build (mac, 8)"], Started(events));
        Assert.Empty(Started(Finish(state, "build (linux, 8)", Result.Success)));
        Assert.Equal(["ship"], Started(Finish(state, "build (mac, 8)", Result.Success)));
        Assert.Equal(Result.Success, state.Job("build").Result);
    }

    [Fact]
    public void Fail_fast_cancels_running_cells_and_skips_queued_ones_and_the_job_fails()
    {
        var (state, events) = Start("""
            jobs:
              build:
                strategy: { max-parallel: 2, matrix: { n: [1, 2, 3] } }
                steps: [{ run: x }]
            """);
        Assert.Equal(["build (1)", "build (2)"], Started(events));
        var after = Finish(state, "build (1)", Result.Failure);
        Assert.Equal(["build (2)"], after.OfType<JobCancelling>().Select(c => c.JobId));
        Assert.Equal(("build (3)", Result.Cancelled), after.OfType<JobSkipped>().Select(s => (s.JobId, s.Result)).Single());
        var end = Finish(state, "build (2)", Result.Cancelled);
        Assert.Equal(Result.Failure, end.OfType<RunFinished>().Single().Result);
        Assert.Equal(Result.Failure, state.Job("build").Result);
    }

    [Fact]
    public void Without_fail_fast_the_other_cells_go_on()
    {
        var (state, _) = Start("""
            jobs:
              build:
                strategy: { fail-fast: false, max-parallel: 1, matrix: { n: [1, 2] } }
                steps: [{ run: x }]
            """);
        Assert.Equal(["build (2)"], Started(Finish(state, "build (1)", Result.Failure)));
    }

    [Fact]
    public void A_matrix_from_an_earlier_jobs_output_is_worked_out_when_the_job_is_ready()
    {
        var (state, _) = Start("""
            jobs:
              plan:
                steps: [{ run: x }]
              build:
                needs: plan
                strategy: { matrix: { target: "${{ fromJSON(needs.plan.outputs.targets) }}" } }
                steps: [{ run: x }]
            """);
        var events = Finish(state, "plan", Result.Success, new() { ["targets"] = """["arm","x64"]""" });
        Assert.Equal(["build (arm)", "build (x64)"], Started(events));
        Assert.Equal("""{"target":"arm"}""", state["build (arm)"].Matrix!.ToString());
    }

    [Fact]
    public void A_matrix_that_cannot_be_worked_out_fails_the_job_with_the_reason()
    {
        var (state, _) = Start("""
            jobs:
              plan:
                steps: [{ run: x }]
              build:
                needs: plan
                strategy: { matrix: { target: "${{ fromJSON(needs.plan.outputs.targets) }}" } }
                steps: [{ run: x }]
            """);
        var events = Finish(state, "plan", Result.Success, new() { ["targets"] = "not json" });
        var skipped = events.OfType<JobSkipped>().Single();
        Assert.Equal(Result.Failure, skipped.Result);
        Assert.StartsWith("strategy.matrix: ", skipped.Reason);
        Assert.Equal(Result.Failure, state.RunResult);
    }

    [Fact]
    public void Resuming_a_run_that_died_with_nothing_running_starts_what_it_had_queued()
    {
        var (state, events) = Start("""
            jobs:
              a: { steps: [{ run: x }] }
              b: { steps: [{ run: x }] }
            """, maxParallel: 1);
        var finished = Finish(state, "a", Result.Success);
        Assert.Equal(["b"], Started(finished));
        var replayed = new RunState(state.Plan);
        foreach (var e in events.Concat(finished.TakeWhile(e => e is not JobStarted)))
            replayed.Apply(e);

        Assert.Equal([("b", 1)], replayed.Handle(SchedulerProtocol.Resume.Instance, Now).OfType<JobStarted>().Select(s => (s.JobId, s.Attempt)));
    }

    [Fact]
    public void Resuming_records_the_attempts_the_ledger_saw_start_and_the_journal_lost_without_running_a_job_before_its_needs()
    {
        var (state, events) = Start("""
            jobs:
              first: { steps: [{ run: x }] }
              second: { needs: first, steps: [{ run: x }] }
            """);
        // Journaled: `first` started. Lost with the loom: its end and the start of `second`, which the process ledger saw.
        Assert.Equal(["first"], Started(events));
        var replayed = new RunState(state.Plan);
        foreach (var e in events)
            replayed.Apply(e);
        Assert.True(replayed.MayBeLeftRunning("first", 1));
        Assert.True(replayed.MayBeLeftRunning("second", 1));

        var resumed = replayed.Handle(new SchedulerProtocol.Resume(new Dictionary<string, int> { ["first"] = 1, ["second"] = 1 }), Now);
        Assert.Equal([("first", 1), ("second", 1)], resumed.OfType<JobInterrupted>().Select(i => (i.JobId, i.Attempt)));
        // `first` runs again; `second` waits for it, then runs as attempt 2.
        Assert.Equal([("first", 2)], resumed.OfType<JobStarted>().Select(s => (s.JobId, s.Attempt)));
        var afterFirst = Finish(replayed, "first", Result.Success);
        Assert.Equal(2, afterFirst.OfType<JobStarted>().Single(s => s.JobId == "second").Attempt);
        Assert.False(replayed.MayBeLeftRunning("first", 1));

        // Replaying what the resume journaled gives the same attempts.
        var again = new RunState(state.Plan);
        foreach (var e in events.Concat(resumed).Concat(afterFirst))
            again.Apply(e);
        Assert.Equal((2, 1), (again["second"].Attempt, again["second"].Interrupted));
    }

    [Fact]
    public void Resuming_a_replayed_run_queues_what_was_running_again_and_retry_does_not_count_the_interrupted_attempt()
    {
        var (state, events) = Start("""
            jobs:
              done: { steps: [{ run: x }] }
              flaky:
                retry: { max-attempts: 2, backoff-seconds: 1 }
                steps: [{ run: x }]
              later: { needs: [done, flaky], steps: [{ run: x }] }
            """);
        events.AddRange(state.Handle(new SchedulerProtocol.StepStarted("flaky", 0, "x", 4242, 99), Now));
        events.AddRange(Finish(state, "done", Result.Success));

        // The process died here; a new state replays the journal, then resumes.
        var replayed = new RunState(state.Plan);
        foreach (var e in events)
            replayed.Apply(e);
        Assert.Equal(new Loom.Actors.Execution.ProcessIdentity(4242, 99), replayed["flaky"].Process);
        var resumed = replayed.Handle(SchedulerProtocol.Resume.Instance, Now);
        Assert.Equal(("flaky", 1), resumed.OfType<JobInterrupted>().Select(i => (i.JobId, i.Attempt)).Single());
        Assert.Equal(2, resumed.OfType<JobStarted>().Single().Attempt);
        Assert.Null(replayed["flaky"].Process);
        Assert.DoesNotContain(resumed.OfType<JobStarted>(), s => s.JobId == "done");

        // Attempt 2 is the first that counts: a failure is retried once more.
        var failed = Finish(replayed, "flaky", Result.Failure).OfType<JobFinished>().Single();
        Assert.True(failed.Retrying);
        Assert.Equal(3, replayed.Handle(new SchedulerProtocol.RetryDue("flaky"), Now).OfType<JobStarted>().Single().Attempt);
        Assert.Equal(["later"], Started(Finish(replayed, "flaky", Result.Success)));
    }

    [Fact]
    public void A_carried_job_is_done_without_running_and_its_dependents_read_its_outputs()
    {
        var loaded = WorkflowLoader.Load("w.yml", """
            jobs:
              plan:
                outputs: { n: "${{ steps.x.outputs.n }}" }
                steps: [{ id: x, run: x }]
              use:
                needs: plan
                if: needs.plan.outputs.n == '3'
                steps: [{ run: x }]
            """);
        var carried = new Dictionary<string, CarriedJob> { ["plan"] = new("old-run", Result.Success, new Dictionary<string, string> { ["n"] = "3" }) };
        var state = new RunState(RunPlan.Create("r2", loaded.Workflow!, [], 4, carried: carried));
        var events = state.Handle(new SchedulerProtocol.Start(Akka.Actor.ActorRefs.Nobody), Now);
        Assert.Equal(("plan", "old-run"), events.OfType<JobCarried>().Select(c => (c.JobId, c.FromRunId)).Single());
        Assert.Equal(["use"], Started(events));
        Assert.Equal(Result.Success, Finish(state, "use", Result.Success).OfType<RunFinished>().Single().Result);

        var error = Assert.Throws<ArgumentException>(() => RunPlan.Create("r3", loaded.Workflow!, [], 4,
            carried: new Dictionary<string, CarriedJob> { ["use"] = carried["plan"] }));
        Assert.Contains("cannot carry job 'use' without 'plan'", error.Message);
    }

    [Fact]
    public void Retry_runs_a_failed_job_again_after_its_backoff_until_max_attempts()
    {
        var (state, events) = Start("""
            jobs:
              flaky:
                retry: { max-attempts: 3, backoff-seconds: 2 }
                steps: [{ run: x }]
            """);
        Assert.Equal(1, events.OfType<JobStarted>().Single().Attempt);
        var first = Finish(state, "flaky", Result.Failure).OfType<JobFinished>().Single();
        Assert.True(first.Retrying);
        Assert.Equal(TimeSpan.FromSeconds(2), first.RetryDelay);
        Assert.Equal(2, state.Handle(new SchedulerProtocol.RetryDue("flaky"), Now).OfType<JobStarted>().Single().Attempt);
        var second = Finish(state, "flaky", Result.Failure).OfType<JobFinished>().Single();
        Assert.Equal(TimeSpan.FromSeconds(4), second.RetryDelay);
        state.Handle(new SchedulerProtocol.RetryDue("flaky"), Now);
        var last = Finish(state, "flaky", Result.Failure);
        Assert.False(last.OfType<JobFinished>().Single().Retrying);
        Assert.Equal(Result.Failure, last.OfType<RunFinished>().Single().Result);
    }

    [Fact]
    public void A_cancelled_run_does_not_retry()
    {
        var (state, _) = Start("""
            jobs:
              flaky:
                retry: { max-attempts: 3 }
                steps: [{ run: x }]
            """);
        state.Handle(new SchedulerProtocol.Cancel("user"), Now);
        var events = Finish(state, "flaky", Result.Cancelled);
        Assert.False(events.OfType<JobFinished>().Single().Retrying);
        Assert.Equal(Result.Cancelled, events.OfType<RunFinished>().Single().Result);
    }

    [Fact]
    public void A_job_if_reads_needs_outputs_and_vars_and_says_what_it_read_when_false()
    {
        var contexts = RunContexts.Empty with { Vars = new Dictionary<string, string> { ["CHANNEL"] = "beta" } };
        var (state, _) = Start("""
            jobs:
              gate:
                steps: [{ run: x }]
              release:
                needs: gate
                if: needs.gate.outputs.go == 'YES' && vars.channel == 'beta'
                steps: [{ run: x }]
              hold:
                needs: gate
                if: needs.gate.outputs.go == 'no'
                steps: [{ run: x }]
            """, contexts: contexts);
        var events = Finish(state, "gate", Result.Success, new() { ["go"] = "yes" });
        Assert.Equal(["release"], Started(events));
        Assert.Equal("'if: needs.gate.outputs.go == 'no'' was false (needs.gate.outputs.go = 'yes')", events.OfType<JobSkipped>().Single().Reason);
    }

    [Fact]
    public void Needs_cells_give_every_cells_matrix_result_and_outputs()
    {
        var (state, _) = Start("""
            jobs:
              build:
                strategy: { matrix: { os: [linux, mac] } }
                steps: [{ run: x }]
              report:
                needs: build
                if: always() && needs.build.cells[1].outputs.size == '2' && needs.build.cells[0].matrix.os == 'linux' && needs.build.result == 'failure'
                steps: [{ run: x }]
            """);
        Finish(state, "build (linux)", Result.Failure, new() { ["size"] = "1" });
        var events = Finish(state, "build (mac)", Result.Success, new() { ["size"] = "2" });
        Assert.Equal(["report"], Started(events));
    }

    [Fact]
    public void Units_of_one_job_level_concurrency_group_take_turns_while_other_jobs_run_beside_them()
    {
        var (state, events) = Start("""
            jobs:
              deploy:
                concurrency: target-${{ matrix.env }}
                strategy: { matrix: { env: [a, a, b] } }
                steps: [ { run: 'true' } ]
              migrate:
                concurrency: target-a
                steps: [ { run: 'true' } ]
              lint:
                steps: [ { run: 'true' } ]
            """);
        // One unit of target-a and one of target-b, and the job without a group; never two of target-a.
        Assert.Equal(["deploy (a)", "deploy (b)", "lint"], Started(events).Order());
        var next = Finish(state, "deploy (a)", Result.Success);
        Assert.Equal(["deploy (a) #2"], Started(next));
        Assert.Empty(Started(Finish(state, "deploy (b)", Result.Success)));
        Assert.Equal(["migrate"], Started(Finish(state, "deploy (a) #2", Result.Success)));
    }
}
