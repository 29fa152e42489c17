using Loom.Actors.Protocol;
using Loom.Actors.Watching;
using Loom.Core.Model;
using Loom.Core.Parsing;
using Loom.Core.Watching;
using static Loom.Actors.Protocol.RunEvents;

namespace Loom.Actors.Tests.Watching;

public sealed class WatchSessionTests : IDisposable
{
    private const string Yaml = """
        jobs:
          build:
            inputs: ["src/**"]
            outputs: { version: "${{ steps.v.outputs.version }}" }
            steps: [{ id: v, run: echo }]
          test:
            needs: build
            inputs: ["test/**"]
            steps: [{ run: echo }]
          docs:
            inputs: ["docs/**"]
            steps: [{ run: echo }]
        """;

    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan Grace = TimeSpan.FromMilliseconds(250);
    private static readonly DateTimeOffset At = DateTimeOffset.UnixEpoch;
    private readonly string workspace = Directory.CreateTempSubdirectory("loom-watch-session-").FullName;
    private readonly Clock clock = new();

    public void Dispose() => Directory.Delete(workspace, recursive: true);

    [Fact]
    public void The_first_cycle_runs_every_job_and_a_change_runs_its_job_and_dependents_carrying_the_rest()
    {
        var session = Create(Yaml);
        var first = session.Begin();
        Assert.Equal(["build", "test", "docs"], first.ToRun);
        Assert.Empty(first.Carried);
        FinishAll(session, first, new Dictionary<string, string> { ["version"] = "1.0" });

        var next = Single<WatchDecision.StartCycle>(Settle(session, "test/a_test.cs"));
        Assert.Equal(["test"], next.ToRun);
        Assert.Equal(["test: test/a_test.cs changed"], next.Triggers.Select(t => t.ToString()));
        // Carried from the cycle that ran them, outputs and all; closed under needs (test's need is carried).
        Assert.Equal(first.RunId, next.Carried["build"].FromRunId);
        Assert.Equal("1.0", next.Carried["build"].Outputs["version"]);
        Assert.Equal(Result.Success, next.Carried["docs"].Result);
        Assert.NotEqual(first.RunId, next.RunId);
    }

    [Fact]
    public void A_change_made_while_a_job_runs_or_just_after_it_ends_does_not_trigger_it_but_a_later_one_does()
    {
        var session = Create(Yaml);
        var first = session.Begin();
        session.Observe(new JobStarted("build", 1, At));
        session.Changed(FileChange.Of("src/generated.cs")); // what build writes while it runs
        session.Observe(new JobFinished("build", Result.Success, false, null, TimeSpan.Zero, At));
        clock.Advance(TimeSpan.FromMilliseconds(100));
        session.Changed(FileChange.Of("src/late.cs")); // its last write, reported after its end
        foreach (var job in new[] { "test", "docs" })
            session.Observe(new JobFinished(job, Result.Success, false, null, TimeSpan.Zero, At));
        session.Observe(new RunFinished(Result.Success, TimeSpan.Zero, At));
        Assert.Empty(session.CycleEnded(stopping: false));
        Assert.Empty(TakeSettled(session));

        clock.Advance(Grace);
        Assert.Equal(["build", "test"], Single<WatchDecision.StartCycle>(Settle(session, "src/late.cs")).ToRun);
        Assert.NotNull(first);
    }

    [Fact]
    public void Queue_runs_changes_that_arrive_during_a_cycle_once_it_ends()
    {
        var session = Create(Yaml, OnBusy.Queue);
        var first = session.Begin();
        session.Observe(new JobFinished("docs", Result.Success, false, null, TimeSpan.Zero, At));
        clock.Advance(Grace);
        var busy = Single<WatchDecision.Busy>(Settle(session, "docs/readme.md"));
        Assert.False(busy.Ignored);
        FinishAll(session, first, null, endCycle: false);
        var next = Single<WatchDecision.StartCycle>(session.CycleEnded(stopping: false));
        Assert.Equal(["docs"], next.ToRun);
    }

    [Fact]
    public void A_change_to_the_input_of_a_job_still_to_run_in_the_cycle_is_left_to_that_run()
    {
        var session = Create(Yaml, OnBusy.Queue);
        session.Begin();
        Assert.Empty(Settle(session, "docs/readme.md"));
    }

    [Fact]
    public void Ignore_drops_changes_that_arrive_during_a_cycle()
    {
        var session = Create(Yaml, OnBusy.Ignore);
        var first = session.Begin();
        session.Observe(new JobFinished("docs", Result.Success, false, null, TimeSpan.Zero, At));
        clock.Advance(Grace);
        Assert.True(Single<WatchDecision.Busy>(Settle(session, "docs/readme.md")).Ignored);
        FinishAll(session, first, null, endCycle: false);
        Assert.Empty(session.CycleEnded(stopping: false));
    }

    [Fact]
    public void Restart_cancels_the_cycle_and_runs_the_affected_jobs_and_what_it_had_not_finished()
    {
        var session = Create(Yaml, OnBusy.Restart);
        var first = session.Begin();
        session.Observe(new JobFinished("docs", Result.Success, false, null, TimeSpan.Zero, At));
        session.Observe(new JobFinished("build", Result.Success, false, null, TimeSpan.Zero, At));
        session.Observe(new JobStarted("test", 1, At));
        clock.Advance(Grace);

        var cancel = Single<WatchDecision.CancelCycle>(Settle(session, "src/a.cs"));
        Assert.Equal(first.RunId, cancel.RunId);
        session.Observe(new JobFinished("test", Result.Cancelled, false, "cancelled", TimeSpan.Zero, At));
        session.Observe(new RunFinished(Result.Cancelled, TimeSpan.Zero, At));
        var next = Single<WatchDecision.StartCycle>(session.CycleEnded(stopping: false));
        Assert.Equal(["build", "test"], next.ToRun);
        Assert.Equal(["docs"], next.Carried.Keys);
    }

    [Fact]
    public void Restart_does_not_cancel_for_a_change_that_concerns_no_job_of_the_cycle_left()
    {
        var session = Create(Yaml, OnBusy.Restart);
        var first = session.Begin();
        session.Observe(new JobFinished("docs", Result.Success, false, null, TimeSpan.Zero, At));
        clock.Advance(Grace);
        Assert.False(Single<WatchDecision.Busy>(Settle(session, "docs/readme.md")).Ignored);
        Assert.Equal(first.RunId, session.RunningCycle);
    }

    [Fact]
    public void An_invalid_workflow_edit_is_rejected_and_the_previous_version_stays_in_force()
    {
        var session = Create(Yaml);
        FinishAll(session, session.Begin(), null);
        var before = session.WorkflowText;
        var decisions = SettleWorkflow(session, "jobs:\n  build:\n    needs: nowhere\n    steps: [{ run: echo }]\n");
        var rejected = Single<WatchDecision.Rejected>(decisions);
        Assert.Contains(rejected.Errors, e => e.StartsWith(".loom.yml:3:", StringComparison.Ordinal));
        Assert.Equal(before, session.WorkflowText);
        Assert.Equal(["build", "test"], Single<WatchDecision.StartCycle>(Settle(session, "src/a.cs")).ToRun);
    }

    [Fact]
    public void A_valid_edit_runs_only_the_changed_jobs_and_their_dependents()
    {
        var session = Create(Yaml);
        FinishAll(session, session.Begin(), null);
        var decisions = SettleWorkflow(session, Yaml.Replace("needs: build\n    inputs: [\"test/**\"]\n    steps: [{ run: echo }]", "needs: build\n    inputs: [\"test/**\"]\n    steps: [{ run: echo changed }]")
            .Replace("docs:\n", "lint:\n    steps: [{ run: echo }]\n  docs:\n"));
        var reloaded = Single<WatchDecision.Reloaded>(decisions);
        Assert.Equal(["test"], reloaded.Diff.Changed);
        Assert.Equal(["lint"], reloaded.Diff.Added);
        var start = Single<WatchDecision.StartCycle>(decisions);
        Assert.Equal(["test", "lint"], start.ToRun);
        Assert.Equal(["build", "docs"], start.Carried.Keys.Order());
        Assert.Contains("steps: [{ run: echo changed }]", session.WorkflowText);
    }

    [Fact]
    public void A_matrix_job_is_carried_whole_with_its_cells_outputs_merged()
    {
        var session = Create("""
            jobs:
              cells:
                inputs: ["cells/**"]
                strategy: { matrix: { n: [1, 2] } }
                steps: [{ run: echo }]
              docs:
                inputs: ["docs/**"]
                steps: [{ run: echo }]
            """);
        var first = session.Begin();
        session.Observe(new MatrixExpanded("cells", [new MatrixCell("cells (1)", "{\"n\":1}"), new MatrixCell("cells (2)", "{\"n\":2}")], At));
        session.Observe(new JobFinished("cells (1)", Result.Success, false, null, TimeSpan.Zero, At, new Dictionary<string, string> { ["a"] = "1" }));
        session.Observe(new JobFinished("cells (2)", Result.Success, false, null, TimeSpan.Zero, At, new Dictionary<string, string> { ["b"] = "2" }));
        session.Observe(new JobFinished("docs", Result.Success, false, null, TimeSpan.Zero, At));
        Assert.Empty(session.CycleEnded(stopping: false));
        clock.Advance(Grace);

        var next = Single<WatchDecision.StartCycle>(Settle(session, "docs/x.md"));
        Assert.Equal(first.RunId, next.Carried["cells"].FromRunId);
        Assert.Equal(new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" }, next.Carried["cells"].Outputs);
    }

    [Fact]
    public void Only_the_newest_cycles_are_kept()
    {
        var session = Create(Yaml, keepRuns: 2);
        var runs = new List<string>();
        var cycle = session.Begin();
        for (var i = 0; i < 3; i++)
        {
            runs.Add(cycle.RunId);
            FinishAll(session, cycle, null, endCycle: false);
            var ended = session.CycleEnded(stopping: false);
            if (i < 2)
                Assert.DoesNotContain(ended, d => d is WatchDecision.Forget);
            else
                Assert.Equal([runs[0]], Single<WatchDecision.Forget>(ended).RunIds);
            clock.Advance(Grace);
            cycle = Single<WatchDecision.StartCycle>(Settle(session, "docs/readme.md"));
        }
    }

    private WatchSession Create(string yaml, OnBusy onBusy = OnBusy.Queue, int keepRuns = 20)
    {
        File.WriteAllText(Path.Combine(workspace, ".loom.yml"), yaml);
        // Named after the workspace's folder, as a reload of the file there is (WatchSessionActor loads both from the file).
        var loaded = WorkflowLoader.Load(".loom.yml", yaml, filePath: Path.Combine(workspace, ".loom.yml"));
        return new WatchSession("s", loaded.Workflow!, yaml, workspace, IgnoreRules.Load(workspace), ".loom.yml", onBusy, Debounce, Grace, keepRuns, clock);
    }

    /// <summary>Every job of the cycle succeeds (build with <paramref name="outputs"/>), then the run ends.</summary>
    private void FinishAll(WatchSession session, WatchDecision.StartCycle cycle, IReadOnlyDictionary<string, string>? outputs, bool endCycle = true)
    {
        foreach (var job in cycle.ToRun)
            session.Observe(new JobFinished(job, Result.Success, false, null, TimeSpan.Zero, At, job == "build" ? outputs : null));
        foreach (var (job, carried) in cycle.Carried)
            session.Observe(new JobCarried(job, carried.Result, carried.Outputs, carried.FromRunId, At));
        session.Observe(new RunFinished(Result.Success, TimeSpan.Zero, At));
        if (endCycle)
        {
            Assert.DoesNotContain(session.CycleEnded(stopping: false), d => d is WatchDecision.StartCycle);
            clock.Advance(Grace);
        }
    }

    private IReadOnlyList<WatchDecision> Settle(WatchSession session, string path)
    {
        session.Changed(FileChange.Of(path));
        return TakeSettled(session);
    }

    private IReadOnlyList<WatchDecision> TakeSettled(WatchSession session)
    {
        clock.Advance(Debounce);
        if (!session.TryTakeBatch(out var batch, out var excused, out _))
            return [];
        var reloaded = session.TouchesWorkflow(batch!) ? WorkflowLoader.LoadFile(Path.Combine(workspace, ".loom.yml"), ParseLimits.Default, new LoadOptions(false), ".loom.yml") : null;
        return session.Batch(batch!, excused, reloaded);
    }

    private IReadOnlyList<WatchDecision> SettleWorkflow(WatchSession session, string yaml)
    {
        File.WriteAllText(Path.Combine(workspace, ".loom.yml"), yaml);
        return Settle(session, ".loom.yml");
    }

    private static T Single<T>(IEnumerable<WatchDecision> decisions) where T : WatchDecision => Assert.Single(decisions.OfType<T>());

    private sealed class Clock : TimeProvider
    {
        private long ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => ticks;

        public void Advance(TimeSpan by) => ticks += by.Ticks;
    }
}
