namespace Loom.Cli.Tests.Conformance;

/// <summary>Spec §5: step, job and workflow results, and the exit codes of <c>loom run</c>.</summary>
public abstract class Section5ResultTests(ConformanceCluster? cluster) : ConformanceTests(cluster)
{
    public sealed class Local() : Section5ResultTests(null);

    [ClusterMode, Collection(ConformanceCluster.Collection)]
    public sealed class OnCluster(ConformanceCluster cluster) : Section5ResultTests(cluster);

    [CaseTheory]
    [InlineData("steps: [ { run: 'true' } ]", 0, "success")]
    [InlineData("steps: [ { run: exit 4 } ]", 1, "failure")]
    [InlineData("{ continue-on-error: true, steps: [ { run: exit 4 } ] }", 0, "success")]
    public async Task The_workflow_result_gives_the_exit_code(string job, int exit, string result)
    {
        using var ws = NewWorkspace($"jobs:\n  only:\n    {job}\n");
        var run = await LoomRun.JsonAsync(ws);
        Assert.True(run.Exit == exit, run.Transcript);
        Assert.Equal(result, run.RunResult);
    }

    [Case]
    public async Task An_invalid_file_exits_2_without_running_anything()
    {
        using var ws = NewWorkspace("""
            jobs:
              good:
                steps: [ { run: touch good.ran } ]
              bad:
                timeout-minutes: -1
                steps: [ { run: touch bad.ran } ]
            """);
        var (exit, stdout, stderr) = await ws.LoomAsync("run", "--json");
        Assert.True(exit == 2, stdout + stderr);
        Assert.Matches(@"\.loom\.yml:5:\d+: error: ", stderr);
        Assert.False(ws.Exists("good.ran"));
    }

    [Case]
    public async Task A_failed_step_skips_the_rest_of_the_job_and_the_job_fails()
    {
        using var ws = NewWorkspace("""
            jobs:
              steps:
                steps:
                  - run: exit 2
                  - run: touch second.ran
            """);
        var run = await LoomRun.JsonAsync(ws);
        Assert.Equal(1, run.Exit);
        Assert.Equal("failure", run.Result("steps"));
        Assert.Equal("failure", run.Step("steps", 0).GetProperty("outcome").GetString());
        Assert.Equal(2, run.Step("steps", 0).GetProperty("exitCode").GetInt32());
        Assert.False(ws.Exists("second.ran"));
    }

    [Case]
    public async Task Sigint_cancels_the_run_with_130_while_always_and_cancelled_jobs_still_run()
    {
        using var ws = NewWorkspace("""
            jobs:
              work:
                steps:
                  - run: echo started > work.started; exec sleep 300
                  - if: cancelled()
                    run: echo "${{ job.status }}" > work-cancelled-step.txt
                  - run: touch work-next-step.ran
              after:
                needs: work
                steps: [ { run: touch after.ran } ]
              cleanup:
                needs: work
                if: always()
                steps: [ { run: 'echo "${{ needs.work.result }}" > cleanup.txt' } ]
              on-cancel:
                needs: work
                if: cancelled()
                steps: [ { run: touch on-cancel.ran } ]
              on-failure:
                needs: work
                if: failure()
                steps: [ { run: touch on-failure.ran } ]
            """);
        using var loom = ws.StartLoom("run", "--json");
        await ws.WaitForFileAsync("work.started", loom);
        loom.Signal("INT");
        var exit = await loom.WaitAsync();
        var run = LoomRun.FromFinished(exit, loom.Stdout, loom.Stderr);
        Assert.True(exit == 130, run.Transcript);
        Assert.Equal("cancelled", run.RunResult);
        Assert.Equal("cancelled", run.Result("work"));
        Assert.Equal("cancelled\n", ws.Read("cleanup.txt"));
        Assert.True(ws.Exists("on-cancel.ran"));
        Assert.Equal("cancelled\n", ws.Read("work-cancelled-step.txt"));
        Assert.False(ws.Exists("work-next-step.ran"));
        Assert.False(ws.Exists("on-failure.ran"));
        Assert.False(ws.Exists("after.ran"));
    }

    [Case]
    public async Task A_false_if_is_skipped_a_timed_out_job_is_cancelled_and_their_dependents_are_skipped()
    {
        using var ws = NewWorkspace("""
            jobs:
              unwanted:
                if: false
                steps: [ { run: touch unwanted.ran } ]
              slow:
                timeout-minutes: 0.01
                steps: [ { run: sleep 60 } ]
              after-unwanted:
                needs: unwanted
                steps: [ { run: touch after-unwanted.ran } ]
              after-slow:
                needs: slow
                steps: [ { run: touch after-slow.ran } ]
              report:
                needs: [unwanted, slow, after-unwanted, after-slow]
                if: always()
                steps:
                  - run: echo "${{ needs.unwanted.result }} ${{ needs.after-unwanted.result }} ${{ needs.after-slow.result }}" > report.txt
            """);
        var run = await LoomRun.JsonAsync(ws);
        Assert.Equal(1, run.Exit);
        Assert.Equal("failure", run.RunResult);
        Assert.Equal("skipped skipped skipped\n", ws.Read("report.txt"));
        Assert.Equal("skipped", run.ResultOrSkipped("unwanted"));
        Assert.Equal("cancelled", run.Result("slow"));
        Assert.False(ws.Exists("unwanted.ran") || ws.Exists("after-unwanted.ran") || ws.Exists("after-slow.ran"));
    }

    [Case]
    public async Task A_skipped_job_alone_does_not_fail_the_workflow()
    {
        using var ws = NewWorkspace("""
            jobs:
              unwanted:
                if: false
                steps: [ { run: touch unwanted.ran } ]
              wanted:
                steps: [ { run: touch wanted.ran } ]
            """);
        var run = await LoomRun.JsonAsync(ws);
        Assert.True(run.Exit == 0, run.Transcript);
        Assert.Equal("success", run.RunResult);
        Assert.Equal("skipped", run.ResultOrSkipped("unwanted"));
        Assert.True(ws.Exists("wanted.ran"));
    }

    [Case]
    public async Task Dependents_read_a_timed_out_job_as_cancelled()
    {
        using var ws = NewWorkspace("""
            jobs:
              slow:
                timeout-minutes: 0.01
                steps: [ { run: sleep 60 } ]
              report:
                needs: slow
                if: always()
                steps: [ { run: 'echo "${{ needs.slow.result }}" > report.txt' } ]
            """);
        var run = await LoomRun.JsonAsync(ws);
        Assert.Equal(1, run.Exit);
        Assert.Equal(run.Result("slow") + "\n", ws.Read("report.txt"));
        Assert.Equal("cancelled\n", ws.Read("report.txt"));
    }
}
