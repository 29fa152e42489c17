using System.Text.Json;

namespace Loom.Cli.Tests.Conformance;

/// <summary>Spec §2: jobs — needs, if, continue-on-error, timeouts, outputs, matrix, retry.</summary>
public abstract class Section2JobTests(ConformanceCluster? cluster) : ConformanceTests(cluster)
{
    public sealed class Local() : Section2JobTests(null);

    [ClusterMode, Collection(ConformanceCluster.Collection)]
    public sealed class OnCluster(ConformanceCluster cluster) : Section2JobTests(cluster);

    [Case]
    [NotOnCluster("the jobs append to one file, order.txt; jobs of one run on different nodes do not share files (each node has its own copy of the workspace)")]
    public async Task Needs_orders_jobs_in_string_and_list_form()
    {
        using var ws = NewWorkspace("""
            jobs:
              deploy:
                needs: [test, lint]
                steps: [ { run: echo deploy >> order.txt } ]
              test:
                needs: build
                steps: [ { run: echo test >> order.txt } ]
              build:
                steps: [ { run: sleep 0.2; echo build >> order.txt } ]
              lint:
                needs: [build]
                steps: [ { run: echo lint >> order.txt } ]
            """);
        var run = await LoomRun.JsonAsync(ws, "-j", "4");
        Assert.True(run.Exit == 0, run.Transcript);
        var order = ws.ReadLines("order.txt");
        Assert.Equal(4, order.Length);
        Assert.Equal("build", order[0]);
        Assert.Equal(["lint", "test"], order[1..3].Order());
        Assert.Equal("deploy", order[3]);
    }

    [Case]
    public async Task If_uses_status_functions_an_implicit_success_and_a_skip_propagates_down_the_chain()
    {
        using var ws = NewWorkspace("""
            jobs:
              broken:
                steps: [ { run: exit 1 } ]
              child:
                needs: broken
                steps: [ { run: touch child.ran } ]
              grandchild:
                needs: child
                if: true
                steps: [ { run: touch grandchild.ran } ]
              on-failure:
                needs: broken
                if: failure()
                steps: [ { run: touch on-failure.ran } ]
              on-failure-further-up:
                needs: child
                if: ${{ failure() }}
                steps: [ { run: touch on-failure-further-up.ran } ]
              on-success:
                needs: broken
                if: success()
                steps: [ { run: touch on-success.ran } ]
              finally:
                needs: grandchild
                if: always()
                steps: [ { run: 'echo "${{ needs.grandchild.result }}" > finally.txt' } ]
              never:
                if: false
                steps: [ { run: touch never.ran } ]
              after-never:
                needs: never
                steps: [ { run: touch after-never.ran } ]
            """);
        var run = await LoomRun.JsonAsync(ws);
        Assert.Equal(1, run.Exit);
        Assert.Equal("failure", run.RunResult);
        foreach (var job in new[] { "child", "grandchild", "on-success", "never", "after-never" })
        {
            Assert.Equal("skipped", run.ResultOrSkipped(job));
            Assert.False(ws.Exists($"{job}.ran"), $"{job} ran");
        }
        Assert.True(ws.Exists("on-failure.ran"));
        Assert.True(ws.Exists("on-failure-further-up.ran"));
        Assert.Equal("skipped\n", ws.Read("finally.txt"));
    }

    [Case]
    public async Task A_job_with_continue_on_error_fails_but_its_dependents_see_success_and_the_workflow_succeeds()
    {
        using var ws = NewWorkspace("""
            jobs:
              flaky:
                continue-on-error: true
                steps: [ { run: exit 7 } ]
              dependent:
                needs: flaky
                steps: [ { run: 'echo "${{ needs.flaky.result }}" > dependent.txt' } ]
            """);
        var run = await LoomRun.JsonAsync(ws);
        Assert.True(run.Exit == 0, run.Transcript);
        Assert.Equal("success", run.RunResult);
        Assert.Equal("failure", run.Result("flaky"));
        Assert.Equal("success\n", ws.Read("dependent.txt"));
    }

    [Case]
    public async Task A_job_timeout_in_fractions_of_a_minute_cancels_the_job_runs_its_always_steps_and_fails_the_workflow()
    {
        using var ws = NewWorkspace("""
            jobs:
              slow:
                timeout-minutes: 0.02
                steps:
                  - run: sleep 60
                  - run: touch next-step.ran
                  - if: always()
                    run: echo "${{ job.status }}" > cleanup.txt
              after:
                needs: slow
                steps: [ { run: touch after.ran } ]
            """);
        var run = await LoomRun.JsonAsync(ws);
        Assert.Equal(1, run.Exit);
        Assert.Equal("failure", run.RunResult);
        var finished = run.Finished("slow");
        Assert.Equal("cancelled", finished.GetProperty("result").GetString());
        Assert.True(finished.GetProperty("timedOut").GetBoolean());
        Assert.False(ws.Exists("next-step.ran"));
        Assert.True(ws.Exists("cleanup.txt"), run.Transcript);
        Assert.Equal("cancelled\n", ws.Read("cleanup.txt"));
        Assert.False(ws.Exists("after.ran"));
    }

    [Case]
    public async Task Job_outputs_reach_dependents_through_needs_with_the_result()
    {
        using var ws = NewWorkspace("""
            jobs:
              version:
                outputs:
                  number: ${{ steps.compute.outputs.number }}
                  label: v${{ steps.compute.outputs.number }}-${{ steps.compute.outputs.missing }}
                steps:
                  - id: compute
                    run: echo "number=1.2.3" >> "$LOOM_OUTPUT"
              release:
                needs: version
                steps:
                  - run: echo "${{ needs.version.outputs.number }} ${{ needs.version.outputs.label }} ${{ needs.version.result }} [${{ needs.version.outputs.nothing }}]" > release.txt
            """);
        var run = await LoomRun.JsonAsync(ws);
        Assert.True(run.Exit == 0, run.Transcript);
        Assert.Equal("1.2.3 v1.2.3- success []\n", ws.Read("release.txt"));
        var outputs = run.Finished("version").GetProperty("outputs");
        Assert.Equal("1.2.3", outputs.GetProperty("number").GetString());
    }

    [Case]
    public async Task A_matrix_is_the_cartesian_product_with_include_and_exclude_applied_as_in_github()
    {
        using var ws = NewWorkspace("""
            jobs:
              build:
                strategy:
                  matrix:
                    os: [linux, mac]
                    cfg: [debug, release]
                    include:
                      - { os: mac, extra: x }
                      - { os: linux, cfg: asan }
                    exclude:
                      - { os: mac, cfg: debug }
                steps:
                  - run: touch "cell-${{ matrix.os }}-${{ matrix.cfg }}-${{ matrix.extra }}"
            """);
        var run = await LoomRun.JsonAsync(ws);
        Assert.True(run.Exit == 0, run.Transcript);
        var cells = ws.Files("cell-*");
        Assert.Equal(["cell-linux-asan-", "cell-linux-debug-", "cell-linux-release-", "cell-mac-release-x"], cells);
        var ids = run.Of("matrixExpanded", "build").Single().GetProperty("cells").EnumerateArray()
            .Select(c => c.GetProperty("id").GetString()).ToList();
        Assert.Equal(4, ids.Count);
        Assert.Contains("build (linux, debug)", ids);
        Assert.Contains("build (linux, release)", ids);
        Assert.Contains("build (linux, asan)", ids);
        Assert.Equal("success", run.Result("build (linux, debug)"));
    }

    [Case]
    public async Task Fail_fast_cancels_the_remaining_cells_when_one_fails()
    {
        using var ws = NewWorkspace("""
            jobs:
              test:
                strategy:
                  max-parallel: 1
                  matrix: { n: [1, 2, 3] }
                steps:
                  - run: touch "cell-${{ matrix.n }}"; test "${{ matrix.n }}" != 1
            """);
        var run = await LoomRun.JsonAsync(ws);
        Assert.Equal(1, run.Exit);
        Assert.True(ws.Exists("cell-1"));
        Assert.False(ws.Exists("cell-2"), run.Transcript);
        Assert.False(ws.Exists("cell-3"), run.Transcript);
        Assert.Equal("failure", run.Result("test (1)"));
        Assert.Equal("cancelled", run.ResultOrSkipped("test (2)"));
        Assert.Equal("cancelled", run.ResultOrSkipped("test (3)"));
    }

    [Case]
    public async Task Without_fail_fast_every_cell_runs_and_the_workflow_still_fails()
    {
        using var ws = NewWorkspace("""
            jobs:
              test:
                strategy:
                  fail-fast: false
                  max-parallel: 1
                  matrix: { n: [1, 2, 3] }
                steps:
                  - run: touch "cell-${{ matrix.n }}"; test "${{ matrix.n }}" != 1
            """);
        var run = await LoomRun.JsonAsync(ws);
        Assert.Equal(1, run.Exit);
        Assert.True(ws.Exists("cell-1") && ws.Exists("cell-2") && ws.Exists("cell-3"), run.Transcript);
        Assert.Equal("failure", run.Result("test (1)"));
        Assert.Equal("success", run.Result("test (2)"));
        Assert.Equal("success", run.Result("test (3)"));
    }

    [Case]
    [NotOnCluster("the cells see and wait for each other through files in the workspace; jobs of one run on different nodes do not share files (each node has its own copy of the workspace)")]
    public async Task Strategy_max_parallel_bounds_the_cells_running_at_once()
    {
        using var ws = NewWorkspace("""
            jobs:
              serial:
                strategy:
                  max-parallel: 1
                  matrix: { n: [1, 2, 3] }
                steps:
                  - run: ls serial.running.* > serial.seen.${{ matrix.n }} 2>/dev/null || true; touch serial.running.${{ matrix.n }}; sleep 0.3; rm serial.running.${{ matrix.n }}
              paired:
                strategy:
                  max-parallel: 2
                  matrix: { side: [left, right] }
                steps:
                  - run: |
                      touch "${{ matrix.side }}.started"
                      other=${{ matrix.side == 'left' && 'right' || 'left' }}
                      for i in $(seq 100); do [ -f "$other.started" ] && exit 0; sleep 0.05; done; exit 1
            """);
        var run = await LoomRun.JsonAsync(ws, "-j", "4");
        Assert.True(run.Exit == 0, run.Transcript);
        for (var n = 1; n <= 3; n++)
            Assert.True(ws.Read($"serial.seen.{n}") == "", $"cell {n} overlapped {ws.Read($"serial.seen.{n}")}");
    }

    [Case]
    [NotOnCluster("collect counts the done-* files the cells wrote; jobs of one run on different nodes do not share files (each node has its own copy of the workspace)")]
    public async Task A_matrix_from_a_needs_output_expands_at_run_time_and_its_dependents_wait_for_every_cell_and_see_each_cell()
    {
        using var ws = NewWorkspace("""
            jobs:
              plan:
                outputs:
                  targets: ${{ steps.list.outputs.targets }}
                steps:
                  - id: list
                    run: echo 'targets=["a","b","c"]' >> "$LOOM_OUTPUT"
              build:
                needs: plan
                strategy:
                  matrix:
                    target: ${{ fromJSON(needs.plan.outputs.targets) }}
                steps:
                  - id: out
                    run: |
                      [ "${{ matrix.target }}" = c ] || sleep 0.3
                      echo "${{ strategy.job-index }}/${{ strategy.job-total }} $LOOM_JOB" > "index-${{ matrix.target }}.txt"
                      echo "artifact=art-${{ matrix.target }}" >> "$LOOM_OUTPUT"
                      touch "done-${{ matrix.target }}"
                outputs:
                  artifact: ${{ steps.out.outputs.artifact }}
              collect:
                needs: build
                steps:
                  - run: |
                      ls done-* | wc -l | tr -d ' ' > collect-count.txt
                      echo "${{ needs.build.result }} ${{ needs.build.outputs.artifact }}" > collect-result.txt
                      cat > cells.json <<'EOF'
                      ${{ toJSON(needs.build.cells) }}
                      EOF
            """);
        var run = await LoomRun.JsonAsync(ws, "-j", "4");
        Assert.True(run.Exit == 0, run.Transcript);
        var ids = run.Of("matrixExpanded", "build").Single().GetProperty("cells").EnumerateArray()
            .Select(c => c.GetProperty("id").GetString()).ToList();
        Assert.Equal(["build (a)", "build (b)", "build (c)"], ids);
        Assert.Equal("3\n", ws.Read("collect-count.txt"));
        Assert.Equal(["0/3 build", "1/3 build", "2/3 build"],
            new[] { "a", "b", "c" }.Select(t => ws.Read($"index-{t}.txt").Trim()).Order());
        var collected = ws.Read("collect-result.txt").Trim().Split(' ');
        Assert.Equal("success", collected[0]);
        Assert.Contains(collected[1], new[] { "art-a", "art-b", "art-c" });

        using var cells = JsonDocument.Parse(ws.Read("cells.json"));
        var byTarget = cells.RootElement.EnumerateArray().ToDictionary(c => c.GetProperty("matrix").GetProperty("target").GetString()!);
        Assert.Equal(["a", "b", "c"], byTarget.Keys.Order());
        foreach (var (target, cell) in byTarget)
        {
            Assert.Equal("success", cell.GetProperty("result").GetString());
            Assert.Equal($"art-{target}", cell.GetProperty("outputs").GetProperty("artifact").GetString());
        }
    }

    [Case]
    public async Task A_whole_matrix_with_include_may_come_from_fromJSON()
    {
        using var ws = NewWorkspace("""
            jobs:
              plan:
                outputs:
                  matrix: ${{ steps.plan.outputs.matrix }}
                steps:
                  - id: plan
                    run: echo 'matrix={"os":["a","b"],"include":[{"os":"a","extra":"x"}]}' >> "$LOOM_OUTPUT"
              build:
                needs: plan
                strategy:
                  matrix: ${{ fromJSON(needs.plan.outputs.matrix) }}
                steps:
                  - run: touch "cell-${{ matrix.os }}-${{ matrix.extra }}"
            """);
        var run = await LoomRun.JsonAsync(ws);
        Assert.True(run.Exit == 0, run.Transcript);
        Assert.Equal(["cell-a-x", "cell-b-"], ws.Files("cell-*"));
    }

    [Case]
    public async Task Needs_result_of_a_matrix_is_failure_when_any_cell_failed()
    {
        using var ws = NewWorkspace("""
            jobs:
              build:
                strategy:
                  fail-fast: false
                  matrix: { n: [1, 2] }
                steps: [ { run: 'test "${{ matrix.n }}" = 1' } ]
              report:
                needs: build
                if: always()
                steps:
                  - run: echo "${{ needs.build.result }}" > report.txt
            """);
        var run = await LoomRun.JsonAsync(ws);
        Assert.Equal(1, run.Exit);
        Assert.Equal("failure\n", ws.Read("report.txt"));
        Assert.Equal("success", run.Result("build (1)"));
        Assert.Equal("failure", run.Result("build (2)"));
    }

    [Case]
    [NotOnCluster("the attempts count themselves in a file of the workspace, and an attempt may run on another node than the one before; jobs of one run on different nodes do not share files (each node has its own copy of the workspace)")]
    public async Task Retry_reruns_a_failed_job_until_it_succeeds_or_runs_out_of_attempts()
    {
        using var ws = NewWorkspace("""
            jobs:
              flaky:
                retry: { max-attempts: 3, backoff-seconds: 0 }
                steps:
                  - run: |
                      n=$(( $(cat flaky.count 2>/dev/null || echo 0) + 1 )); echo $n > flaky.count
                      [ $n -ge 2 ]
              hopeless:
                retry: { max-attempts: 2 , backoff-seconds: 0 }
                steps:
                  - run: echo x >> hopeless.count; exit 1
              after-flaky:
                needs: flaky
                steps: [ { run: touch after-flaky.ran } ]
            """);
        var run = await LoomRun.JsonAsync(ws);
        Assert.Equal(1, run.Exit);
        Assert.Equal([1, 2], run.Attempts("flaky"));
        Assert.Equal("success", run.Result("flaky"));
        Assert.Equal("2\n", ws.Read("flaky.count"));
        Assert.True(ws.Exists("after-flaky.ran"));
        Assert.Equal([1, 2], run.Attempts("hopeless"));
        Assert.Equal("failure", run.Result("hopeless"));
        Assert.Equal(2, ws.ReadLines("hopeless.count").Length);
        var retrying = run.Of("jobFinished", "hopeless").Select(e => e.GetProperty("retrying").GetBoolean()).ToList();
        Assert.Equal([true, false], retrying);
    }

    [Case]
    public async Task Retry_backoff_doubles_before_each_further_attempt()
    {
        using var ws = NewWorkspace("""
            jobs:
              hopeless:
                retry: { max-attempts: 3, backoff-seconds: 0.1 }
                steps: [ { run: exit 1 } ]
            """);
        var run = await LoomRun.JsonAsync(ws);
        Assert.Equal(1, run.Exit);
        Assert.Equal([1, 2, 3], run.Attempts("hopeless"));
        var delays = run.Of("jobFinished", "hopeless").Select(e => TimeSpan.Parse(e.GetProperty("retryDelay").GetString()!)).ToList();
        Assert.Equal([TimeSpan.FromSeconds(0.1), TimeSpan.FromSeconds(0.2)], delays.Take(2));
    }

    [Case]
    public async Task Runs_on_accepts_a_label_a_list_and_an_expression()
    {
        using var ws = NewWorkspace("""
            jobs:
              one:
                runs-on: ubuntu-latest
                steps: [ { run: touch one.ran } ]
              many:
                runs-on: [self-hosted, linux, x64]
                steps: [ { run: touch many.ran } ]
              computed:
                strategy: { matrix: { os: [ubuntu-latest] } }
                runs-on: ${{ matrix.os }}
                steps: [ { run: touch computed.ran } ]
            """);
        var run = await LoomRun.JsonAsync(ws);
        Assert.True(run.Exit == 0, run.Transcript);
        Assert.True(ws.Exists("one.ran") && ws.Exists("many.ran") && ws.Exists("computed.ran"));
    }

    [Case]
    public async Task A_job_name_is_evaluated_per_cell_and_shown_as_the_jobs_title()
    {
        using var ws = NewWorkspace("""
            jobs:
              build:
                name: Build ${{ matrix.os }}
                strategy: { matrix: { os: [linux, mac] } }
                steps: [ { run: 'true' } ]
              plain:
                name: Plain name
                steps: [ { run: 'true' } ]
            """);
        var run = await LoomRun.JsonAsync(ws);
        Assert.True(run.Exit == 0, run.Transcript);
        Assert.Equal("Build linux", run.Of("jobStarted", "build (linux)").Single().GetProperty("title").GetString());
        Assert.Equal("Build mac", run.Of("jobStarted", "build (mac)").Single().GetProperty("title").GetString());
        Assert.Equal("Plain name", run.Of("jobStarted", "plain").Single().GetProperty("title").GetString());
    }

    [Case]
    public async Task A_cell_with_continue_on_error_from_the_matrix_fails_without_cancelling_its_siblings_or_the_workflow()
    {
        using var ws = NewWorkspace("""
            jobs:
              test:
                continue-on-error: ${{ matrix.experimental }}
                strategy:
                  max-parallel: 1
                  matrix:
                    version: [1, 2]
                    experimental: [false]
                    include:
                      - { version: 0, experimental: true }
                steps:
                  - run: touch "cell-${{ matrix.version }}"; test "${{ matrix.version }}" != 0
              after:
                needs: test
                steps:
                  - run: echo "${{ needs.test.result }}" > after.txt
            """);
        var run = await LoomRun.JsonAsync(ws);
        Assert.True(run.Exit == 0, run.Transcript);
        Assert.True(ws.Exists("cell-0") && ws.Exists("cell-1") && ws.Exists("cell-2"), run.Transcript);
        Assert.Equal("failure", run.Result("test (0, true)"));
        Assert.Equal("success\n", ws.Read("after.txt"));
    }

    [Case]
    public async Task Fail_fast_may_be_an_expression()
    {
        using var ws = NewWorkspace("""
            jobs:
              test:
                strategy:
                  fail-fast: ${{ vars.fail_fast == 'yes' }}
                  max-parallel: 1
                  matrix: { n: [1, 2] }
                steps:
                  - run: touch "cell-${{ matrix.n }}"; test "${{ matrix.n }}" != 1
            """);
        var run = await LoomRun.JsonAsync(ws, "--var", "fail_fast=no");
        Assert.Equal(1, run.Exit);
        Assert.True(ws.Exists("cell-2"), run.Transcript);
        Assert.Equal("success", run.Result("test (2)"));
    }
}
