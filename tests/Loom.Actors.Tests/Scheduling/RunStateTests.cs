using Loom.Actors.Protocol;
using Loom.Actors.Scheduling;
using Loom.Core.Model;
using static Loom.Actors.Protocol.RunEvents;
using static Loom.Actors.Tests.TestWorkflows;

namespace Loom.Actors.Tests.Scheduling;

public sealed class RunStateTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    private sealed class Driver(RunState state)
    {
        public List<IRunEvent> All { get; } = [];

        public List<IRunEvent> Send(ILoomMessage command)
        {
            var events = state.Handle(command, Now);
            All.AddRange(events);
            return events;
        }

        public List<IRunEvent> Finish(string job, Result result, bool timedOut = false) =>
            Send(new SchedulerProtocol.JobFinished(job, result, timedOut, null, TimeSpan.FromSeconds(1)));

        public IEnumerable<string> Started(IEnumerable<IRunEvent> events) => events.OfType<JobStarted>().Select(e => e.JobId);
    }

    private static (RunState State, Driver Driver) Start(Workflow workflow, int maxParallel = 8, params string[] targets)
    {
        var state = new RunState(RunPlan.Create("r1", workflow, targets, maxParallel));
        var driver = new Driver(state);
        driver.Send(new SchedulerProtocol.Start(Akka.Actor.ActorRefs.Nobody));
        return (state, driver);
    }

    [Fact]
    public void Starts_every_job_without_needs_up_to_max_parallel_longest_chain_first()
    {
        var (state, driver) = Start(Of(new J("a"), new J("b"), new J("c"), new J("d", ["c"]), new J("e", ["d"])), maxParallel: 2);
        Assert.Equal(["c", "a"], driver.Started(driver.All));
        Assert.Equal(2, state.Running);
        Assert.Equal(JobPhase.Queued, state.Job("b").Phase);
    }

    [Fact]
    public void A_job_starts_as_soon_as_its_own_needs_are_done_not_stage_by_stage()
    {
        var (_, driver) = Start(Of(new J("fast"), new J("slow"), new J("after-fast", ["fast"])));
        var events = driver.Finish("fast", Result.Success);
        Assert.Equal(["after-fast"], driver.Started(events));
    }

    [Fact]
    public void A_failed_job_skips_its_dependents_down_the_chain_while_independent_branches_go_on()
    {
        var (state, driver) = Start(Of(new J("build"), new J("test", ["build"]), new J("deploy", ["test"]), new J("docs")));
        var events = driver.Finish("build", Result.Failure);
        var skipped = events.OfType<JobSkipped>().ToList();
        Assert.Equal(["test", "deploy"], skipped.Select(s => s.JobId));
        Assert.Equal("needs 'build', which failed", skipped[0].Reason);
        Assert.Equal("needs 'test', which was skipped", skipped[1].Reason);
        Assert.False(state.Finished);
        var last = driver.Finish("docs", Result.Success);
        Assert.Equal(Result.Failure, last.OfType<RunFinished>().Single().Result);
    }

    [Fact]
    public void Continue_on_error_lets_dependents_run_and_does_not_fail_the_workflow()
    {
        var (state, driver) = Start(Of(new J("flaky", ContinueOnError: true), new J("next", ["flaky"])));
        Assert.Equal(["next"], driver.Started(driver.Finish("flaky", Result.Failure)));
        driver.Finish("next", Result.Success);
        Assert.Equal(Result.Success, state.RunResult);
        Assert.Equal(Result.Failure, state.Job("flaky").Result);
    }

    [Fact]
    public void Status_functions_decide_which_dependents_of_a_failure_run()
    {
        var (state, driver) = Start(Of(
            new J("build"),
            new J("cleanup", ["build"], If: "always()"),
            new J("report", ["build"], If: "${{ failure() }}"),
            new J("ship", ["build"], If: "success()"),
            new J("not-failed", ["build"], If: "!failure()")));
        var events = driver.Finish("build", Result.Failure);
        Assert.Equal(["cleanup", "report"], driver.Started(events).Order());
        Assert.Equal(Result.Skipped, state.Job("ship").Result);
        Assert.Equal("needs 'build', which failed", state.Job("ship").Reason);
        Assert.Equal("needs 'build', which failed", state.Job("not-failed").Reason);
        Assert.Equal(Result.Skipped, state.Job("not-failed").Result);
    }

    [Fact]
    public void Failure_reaches_grandchildren_through_a_job_that_ran_anyway()
    {
        var (state, driver) = Start(Of(new J("a"), new J("b", ["a"], If: "always()"), new J("c", ["b"], If: "failure()")));
        driver.Finish("a", Result.Failure);
        Assert.Equal(["c"], driver.Started(driver.Finish("b", Result.Success)));
        Assert.Equal(JobPhase.Running, state.Job("c").Phase);
    }

    [Fact]
    public void Failure_only_job_is_skipped_when_all_succeeds()
    {
        var (state, driver) = Start(Of(new J("a"), new J("on-failure", ["a"], If: "failure()")));
        driver.Finish("a", Result.Success);
        Assert.Equal(Result.Skipped, state.Job("on-failure").Result);
        Assert.Equal(Result.Success, state.RunResult);
    }

    [Fact]
    public void Cancelling_cancels_waiting_jobs_but_always_jobs_still_run()
    {
        var (state, driver) = Start(Of(new J("a"), new J("b"), new J("c", ["a"]), new J("cleanup", ["a"], If: "always()"), new J("on-cancel", ["a"], If: "cancelled()")), maxParallel: 1);
        Assert.Equal(["a"], driver.Started(driver.All));
        var events = driver.Send(new SchedulerProtocol.Cancel("interrupted"));
        Assert.IsType<RunCancelling>(events[0]);
        Assert.Equal(Result.Cancelled, state.Job("b").Result);
        events = driver.Finish("a", Result.Cancelled);
        Assert.Equal(Result.Cancelled, state.Job("c").Result);
        Assert.Equal(["cleanup"], driver.Started(events));
        events = driver.Finish("cleanup", Result.Success);
        Assert.Equal(["on-cancel"], driver.Started(events));
        driver.Finish("on-cancel", Result.Success);
        Assert.Equal(Result.Cancelled, state.RunResult);
    }

    [Fact]
    public void A_timed_out_job_is_cancelled_and_fails_the_workflow()
    {
        var (state, driver) = Start(Of(new J("slow"), new J("after", ["slow"])));
        driver.Finish("slow", Result.Cancelled, timedOut: true);
        Assert.Equal(Result.Skipped, state.Job("after").Result);
        Assert.Equal(Result.Failure, state.RunResult);
        Assert.True(state.Job("slow").TimedOut);
    }

    [Fact]
    public void Only_the_targets_and_what_they_need_are_planned()
    {
        var (state, _) = Start(Of(new J("a"), new J("b", ["a"]), new J("c", ["b"]), new J("other")), 8, "b");
        Assert.Equal(["a", "b"], state.Jobs.Select(j => j.Id));
    }

    [Fact]
    public void Reports_for_jobs_that_are_not_running_change_nothing()
    {
        var (state, driver) = Start(Of(new J("a"), new J("b", ["a"])));
        Assert.Empty(driver.Finish("b", Result.Success));
        Assert.Empty(driver.Send(new SchedulerProtocol.StepStarted("zzz", 0, "x")));
        Assert.Empty(driver.Send(new SchedulerProtocol.Start(Akka.Actor.ActorRefs.Nobody)));
        Assert.Equal(JobPhase.Pending, state.Job("b").Phase);
    }

    [Fact]
    public void Replaying_the_events_rebuilds_the_same_state()
    {
        var workflow = Of(new J("a"), new J("b", ["a"]), new J("c", ["a"], If: "failure()"), new J("d", ["b", "c"], If: "always()"));
        var (state, driver) = Start(workflow, maxParallel: 1);
        driver.Finish("a", Result.Success);
        driver.Finish("b", Result.Failure);
        driver.Finish("d", Result.Success);
        var replayed = new RunState(RunPlan.Create("r1", workflow, [], 1));
        foreach (var e in driver.All)
            replayed.Apply(e);
        Assert.Equal(Snapshot(state), Snapshot(replayed));
        Assert.True(replayed.Finished);
    }

    [Fact]
    public void A_failure_at_the_root_of_a_100000_job_chain_skips_them_all_without_recursion()
    {
        var jobs = Enumerable.Range(0, 100_000).Select(i => new J($"j{i}", i == 0 ? null : [$"j{i - 1}"])).ToArray();
        var (state, driver) = Start(Of(jobs));
        var events = driver.Finish("j0", Result.Failure);
        Assert.Equal(99_999, events.OfType<JobSkipped>().Count());
        Assert.Equal(Result.Failure, state.RunResult);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void On_random_graphs_every_job_ends_once_never_before_its_needs_and_never_over_capacity(int maxParallel)
    {
        for (var seed = 0; seed < 150; seed++)
        {
            var random = new Random(seed * 31 + maxParallel);
            var count = random.Next(1, 40);
            var jobs = Enumerable.Range(0, count).Select(i => new J(
                $"j{i}",
                Enumerable.Range(0, i).Where(_ => random.NextDouble() < 0.15).Select(n => $"j{n}").ToArray(),
                random.NextDouble() < 0.2 ? (random.NextDouble() < 0.5 ? "always()" : "failure()") : null,
                ContinueOnError: random.NextDouble() < 0.1)).ToArray();
            var workflow = Of(jobs);
            var (state, driver) = Start(workflow, maxParallel);
            var ended = new HashSet<string>();
            while (!state.Finished)
            {
                Assert.InRange(state.Running, 1, maxParallel);
                var running = state.Jobs.Where(j => j.Phase == JobPhase.Running).ToList();
                var pick = running[random.Next(running.Count)];
                driver.Finish(pick.Id, random.NextDouble() < 0.25 ? Result.Failure : Result.Success);
            }
            foreach (var e in driver.All)
            {
                switch (e)
                {
                    case JobStarted s:
                        foreach (var need in jobs.Single(j => j.Id == s.JobId).Needs!)
                            Assert.Contains(need, ended);
                        break;
                    case JobFinished f:
                        Assert.True(ended.Add(f.JobId), $"seed {seed}: {f.JobId} ended twice");
                        break;
                    case JobSkipped k:
                        Assert.True(ended.Add(k.JobId), $"seed {seed}: {k.JobId} ended twice");
                        break;
                }
            }
            Assert.Equal(count, ended.Count);
            Assert.Single(driver.All.OfType<RunFinished>());
        }
    }

    private static string Snapshot(RunState state) =>
        string.Join(";", state.Jobs.Select(j => $"{j.Id}:{j.Phase}:{j.Result}:{j.Reason}:{string.Join(',', j.Units.Select(u => $"{u.Phase}/{u.Result}/{u.StepsFinished}"))}")) + $"|{state.RunResult}|{state.Running}";
}
