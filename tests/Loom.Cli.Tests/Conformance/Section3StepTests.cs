namespace Loom.Cli.Tests.Conformance;

/// <summary>Spec §3: steps — shells, environment, the job files and step results.</summary>
public abstract class Section3StepTests(ConformanceCluster? cluster) : ConformanceTests(cluster)
{
    public sealed class Local() : Section3StepTests(null);

    [ClusterMode, Collection(ConformanceCluster.Collection)]
    public sealed class OnCluster(ConformanceCluster cluster) : Section3StepTests(cluster);

    [Case]
    public async Task A_step_is_titled_by_its_name_or_else_its_first_line_and_addressed_by_its_id()
    {
        using var ws = NewWorkspace("""
            jobs:
              titled:
                steps:
                  - id: first
                    name: Compute the answer
                    run: echo "answer=42" >> "$LOOM_OUTPUT"
                  - run: |
                      echo "${{ steps.first.outputs.answer }}" > answer.txt
                      echo second line
            """);
        var run = await LoomRun.JsonAsync(ws);
        Assert.True(run.Exit == 0, run.Transcript);
        var titles = run.Of("stepStarted", "titled").Select(e => e.GetProperty("title").GetString()).ToList();
        Assert.Equal("Compute the answer", titles[0]);
        Assert.Equal("echo \"42\" > answer.txt", titles[1]);
        Assert.Equal("42\n", ws.Read("answer.txt"));
    }

    [Case]
    public async Task Bash_sh_python_and_a_command_template_each_run_the_script_their_way()
    {
        using var ws = NewWorkspace("""
            jobs:
              shells:
                steps:
                  - shell: bash
                    run: echo "${BASH_VERSION:+bash}" > bash.txt
                  - shell: sh
                    run: echo "${BASH_VERSION:-not-bash}" > sh.txt
                  - shell: python
                    run: |
                      import sys
                      open("python.txt", "w").write("python%d\n" % sys.version_info.major)
                  - shell: cat {0}
                    run: echo printed-not-run > template.txt
            """);
        var run = await LoomRun.JsonAsync(ws);
        Assert.True(run.Exit == 0, run.Transcript);
        Assert.Equal("bash\n", ws.Read("bash.txt"));
        Assert.Equal("not-bash\n", ws.Read("sh.txt"));
        Assert.Equal("python3\n", ws.Read("python.txt"));
        Assert.Contains("echo printed-not-run > template.txt", run.Lines("shells"));
        Assert.False(ws.Exists("template.txt"));
    }

    [Case]
    public async Task The_default_shell_stops_at_the_first_error_but_lacks_pipefail_which_shell_bash_adds()
    {
        using var ws = NewWorkspace("""
            jobs:
              shells:
                steps:
                  - id: default-pipe
                    continue-on-error: true
                    run: false | true
                  - id: bash-pipe
                    shell: bash
                    continue-on-error: true
                    run: false | true
                  - id: default-errexit
                    continue-on-error: true
                    run: |
                      false
                      touch after-false.txt
                  - id: sh-errexit
                    shell: sh
                    continue-on-error: true
                    run: |
                      false
                      touch sh-after-false.txt
                  - run: echo "${{ steps.default-pipe.outcome }} ${{ steps.bash-pipe.outcome }} ${{ steps.default-errexit.outcome }} ${{ steps.sh-errexit.outcome }}" > outcomes.txt
            """);
        var run = await LoomRun.JsonAsync(ws);
        Assert.True(run.Exit == 0, run.Transcript);
        Assert.Equal("success failure failure failure\n", ws.Read("outcomes.txt"));
        Assert.False(ws.Exists("after-false.txt"));
        Assert.False(ws.Exists("sh-after-false.txt"));
    }

    [Case]
    public async Task Working_directory_is_relative_to_the_workspace_and_a_missing_folder_fails_the_step()
    {
        using var ws = NewWorkspace("""
            jobs:
              dirs:
                steps:
                  - working-directory: tools/sub
                    run: pwd > here.txt
                  - id: missing
                    working-directory: no-such-folder
                    continue-on-error: true
                    run: touch ../missing-ran.txt
                  - run: echo "${{ steps.missing.outcome }}" > missing.txt
            """);
        Directory.CreateDirectory(ws.PathOf("tools/sub"));
        var run = await LoomRun.JsonAsync(ws);
        Assert.True(run.Exit == 0, run.Transcript);
        Assert.Equal(Path.Combine(ws.RootOf("tools/sub/here.txt"), "tools", "sub") + "\n", ws.Read("tools/sub/here.txt"));
        Assert.Equal("failure\n", ws.Read("missing.txt"));
        Assert.False(ws.Exists("missing-ran.txt"));
    }

    [Case]
    public async Task Step_env_wins_over_job_env_and_loom_env_while_loom_variables_win_over_everything()
    {
        using var ws = NewWorkspace("""
            env: { A: workflow, B: workflow, C: workflow }
            jobs:
              layers:
                env: { A: job, B: job, CI: job-ci }
                steps:
                  - run: |
                      echo "B=from-loom-env" >> "$LOOM_ENV"
                      echo "C=from-loom-env" >> "$LOOM_ENV"
                  - env: { C: step, LOOM_JOB: impostor, LOOM: nope }
                    run: echo "$A $B $C $CI $LOOM_JOB $LOOM" > layers.txt
            """);
        var run = await LoomRun.JsonAsync(ws);
        Assert.True(run.Exit == 0, run.Transcript);
        Assert.Equal("job from-loom-env step job-ci layers true\n", ws.Read("layers.txt"));
    }

    [Case]
    public async Task Loom_output_takes_name_value_lines_and_heredoc_blocks_as_step_outputs()
    {
        using var ws = NewWorkspace("""
            jobs:
              outputs:
                steps:
                  - id: produce
                    run: |
                      echo "simple=one=two" >> "$LOOM_OUTPUT"
                      {
                        echo "multi<<END_OF_VALUE"
                        echo "line 1"
                        echo "line 2"
                        echo "END_OF_VALUE"
                      } >> "$LOOM_OUTPUT"
                  - env:
                      SIMPLE: ${{ steps.produce.outputs.simple }}
                      MULTI: ${{ steps.produce.outputs.multi }}
                    run: |
                      printf '%s\n' "$SIMPLE" > simple.txt
                      printf '%s\n' "$MULTI" > multi.txt
            """);
        var run = await LoomRun.JsonAsync(ws);
        Assert.True(run.Exit == 0, run.Transcript);
        Assert.Equal("one=two\n", ws.Read("simple.txt"));
        Assert.Equal("line 1\nline 2\n", ws.Read("multi.txt"));
    }

    [Case]
    public async Task Loom_env_reaches_later_steps_of_the_job_only()
    {
        using var ws = NewWorkspace("""
            jobs:
              setter:
                steps:
                  - run: |
                      echo "GREETING=hello" >> "$LOOM_ENV"
                      printf 'BLOCK<<EOV\nfirst\nsecond\nEOV\n' >> "$LOOM_ENV"
                      echo "[${GREETING:-}]" > same-step.txt
                  - run: |
                      echo "[$GREETING]" > later-step.txt
                      printf '%s\n' "$BLOCK" > block.txt
                      echo "${{ env.GREETING }}" > expression.txt
              other:
                needs: setter
                steps:
                  - run: echo "[${GREETING:-}]" > other-job.txt
            """);
        var run = await LoomRun.JsonAsync(ws);
        Assert.True(run.Exit == 0, run.Transcript);
        Assert.Equal("[]\n", ws.Read("same-step.txt"));
        Assert.Equal("[hello]\n", ws.Read("later-step.txt"));
        Assert.Equal("first\nsecond\n", ws.Read("block.txt"));
        Assert.Equal("hello\n", ws.Read("expression.txt"));
        Assert.Equal("[]\n", ws.Read("other-job.txt"));
    }

    [Case]
    public async Task Loom_path_lines_are_prepended_to_path_for_later_steps()
    {
        using var ws = NewWorkspace("""
            jobs:
              tools:
                steps:
                  - run: |
                      mkdir -p bin
                      printf '#!/bin/sh\necho tool-ran > tool.txt\n' > bin/my-tool
                      chmod +x bin/my-tool
                      echo "$PWD/bin" >> "$LOOM_PATH"
                      command -v my-tool > same-step.txt || echo none > same-step.txt
                  - run: my-tool
                  - run: echo "${PATH%%:*}" > path-head.txt
            """);
        var run = await LoomRun.JsonAsync(ws);
        Assert.True(run.Exit == 0, run.Transcript);
        Assert.Equal("none\n", ws.Read("same-step.txt"));
        Assert.Equal("tool-ran\n", ws.Read("tool.txt"));
        Assert.Equal(Path.Combine(ws.RootOf("path-head.txt"), "bin") + "\n", ws.Read("path-head.txt"));
    }

    [Case]
    public async Task Loom_step_summary_becomes_a_step_summary_event()
    {
        using var ws = NewWorkspace("""
            jobs:
              report:
                steps:
                  - run: |
                      echo "## Results" >> "$LOOM_STEP_SUMMARY"
                      echo "- all green" >> "$LOOM_STEP_SUMMARY"
            """);
        var run = await LoomRun.JsonAsync(ws);
        Assert.True(run.Exit == 0, run.Transcript);
        var summary = run.Of("stepSummary", "report").Single().GetProperty("markdown").GetString();
        Assert.Equal("## Results\n- all green\n", summary);
    }

    [Case]
    public async Task The_github_variables_name_the_same_files_and_folder_and_work_the_same()
    {
        using var ws = NewWorkspace("""
            jobs:
              compat:
                steps:
                  - id: write
                    run: |
                      [ "$GITHUB_OUTPUT" = "$LOOM_OUTPUT" ] && [ "$GITHUB_ENV" = "$LOOM_ENV" ] && [ "$GITHUB_PATH" = "$LOOM_PATH" ] \
                        && [ "$GITHUB_STEP_SUMMARY" = "$LOOM_STEP_SUMMARY" ] && [ "$GITHUB_WORKSPACE" = "$LOOM_WORKSPACE" ] \
                        && echo same > same.txt
                      echo "via=github" >> "$GITHUB_OUTPUT"
                      echo "VIA_ENV=github" >> "$GITHUB_ENV"
                      echo "summary via github" >> "$GITHUB_STEP_SUMMARY"
                  - run: echo "${{ steps.write.outputs.via }} $VIA_ENV" > read.txt
            """);
        var run = await LoomRun.JsonAsync(ws);
        Assert.True(run.Exit == 0, run.Transcript);
        Assert.Equal("same\n", ws.Read("same.txt"));
        Assert.Equal("github github\n", ws.Read("read.txt"));
        Assert.Equal("summary via github\n", run.Of("stepSummary", "compat").Single().GetProperty("markdown").GetString());
    }

    [Case]
    public async Task Steps_see_loom_ci_workspace_run_id_and_the_job_id_shared_by_matrix_cells()
    {
        using var ws = NewWorkspace("""
            jobs:
              vars:
                strategy: { matrix: { n: [1, 2] } }
                steps:
                  - run: echo "$LOOM $CI $LOOM_WORKSPACE $LOOM_RUN_ID $LOOM_JOB $PWD" > "vars-${{ matrix.n }}.txt"
            """);
        var run = await LoomRun.JsonAsync(ws);
        Assert.True(run.Exit == 0, run.Transcript);
        // The workspace is the folder the cell ran in: this one, or the run's folder on the cell's node.
        foreach (var file in new[] { "vars-1.txt", "vars-2.txt" })
            Assert.Equal($"true true {ws.RootOf(file)} {run.RunId} vars {ws.RootOf(file)}\n", ws.Read(file));
    }

    [Case]
    public async Task Continue_on_error_makes_a_failed_step_conclude_success_while_its_outcome_stays_failure()
    {
        using var ws = NewWorkspace("""
            jobs:
              tolerant:
                steps:
                  - id: broken
                    continue-on-error: true
                    run: exit 3
                  - id: skipped
                    if: false
                    run: touch skipped.ran
                  - if: success()
                    run: echo "${{ steps.broken.outcome }} ${{ steps.broken.conclusion }} ${{ steps.skipped.outcome }} ${{ steps.skipped.conclusion }} ${{ job.status }}" > results.txt
            """);
        var run = await LoomRun.JsonAsync(ws);
        Assert.True(run.Exit == 0, run.Transcript);
        Assert.Equal("success", run.Result("tolerant"));
        var broken = run.Step("tolerant", 0);
        Assert.Equal("failure", broken.GetProperty("outcome").GetString());
        Assert.Equal("success", broken.GetProperty("conclusion").GetString());
        Assert.Equal(3, broken.GetProperty("exitCode").GetInt32());
        Assert.False(ws.Exists("skipped.ran"));
        Assert.Equal("failure success skipped skipped success\n", ws.Read("results.txt"));
    }

    [Case]
    public async Task A_step_timeout_fails_the_step_and_the_job_without_cancelling_it()
    {
        using var ws = NewWorkspace("""
            jobs:
              slow:
                steps:
                  - id: sleeper
                    timeout-minutes: 0.01
                    run: sleep 60
                  - run: touch next.ran
                  - if: failure()
                    run: echo "${{ steps.sleeper.outcome }}" > on-failure.txt
            """);
        var run = await LoomRun.JsonAsync(ws);
        Assert.Equal(1, run.Exit);
        Assert.Equal("failure", run.Step("slow", 0).GetProperty("outcome").GetString());
        Assert.False(ws.Exists("next.ran"));
        Assert.Equal("failure\n", ws.Read("on-failure.txt"));
        Assert.Equal("failure", run.Result("slow"));
        Assert.False(run.Finished("slow").GetProperty("timedOut").GetBoolean());
    }

    private const string WithUses = """
        jobs:
          build:
            steps:
              - run: touch first.ran
              - name: Checkout
                uses: actions/checkout@v4
                with: { fetch-depth: 0 }
              - run: touch third.ran
        """;

    [Case]
    public async Task A_uses_step_is_a_file_error_naming_the_step()
    {
        using var ws = NewWorkspace(WithUses);
        var (exit, _, stderr) = await ws.LoomAsync("run", "--plain");
        Assert.Equal(2, exit);
        Assert.Matches(@"\.loom\.yml:\d+:\d+: error: .*step 2 of job 'build'.*actions/checkout@v4.*run:", stderr);
        Assert.False(ws.Exists("first.ran"));
    }

    [Case]
    public async Task Skip_uses_runs_the_other_steps_with_a_warning()
    {
        using var ws = NewWorkspace(WithUses);
        var run = await LoomRun.JsonAsync(ws, "--skip-uses");
        Assert.True(run.Exit == 0, run.Transcript);
        Assert.True(ws.Exists("first.ran"));
        Assert.True(ws.Exists("third.ran"));
        Assert.Contains("actions/checkout@v4", run.Stderr);
        Assert.Contains("warning", run.Stderr, StringComparison.OrdinalIgnoreCase);
    }

    [Case]
    public async Task The_temporary_script_does_not_outlive_its_step()
    {
        using var ws = NewWorkspace("""
            jobs:
              script:
                steps:
                  - run: test -f "$0" && echo "$0" > script-path.txt
                  - run: test ! -e "$(cat script-path.txt)" && touch gone.txt
            """);
        var run = await LoomRun.JsonAsync(ws);
        Assert.True(run.Exit == 0, run.Transcript);
        Assert.True(ws.Exists("gone.txt"));
        Assert.False(File.Exists(ws.Read("script-path.txt").Trim()));
    }

    [Case]
    public async Task A_one_line_plain_command_sees_the_same_env_directory_and_exit_code_as_through_the_shell()
    {
        using var ws = NewWorkspace("""
            jobs:
              direct:
                env: { FROM_JOB: job-value }
                steps:
                  - working-directory: sub
                    run: ls
                  - run: printenv FROM_JOB LOOM_JOB
                  - id: missing
                    continue-on-error: true
                    run: ls no-such-file
            """);
        Directory.CreateDirectory(ws.PathOf("sub"));
        File.WriteAllText(ws.PathOf("sub/marker-file"), "");
        var run = await LoomRun.JsonAsync(ws);
        Assert.True(run.Exit == 0, run.Transcript);
        Assert.Equal(["marker-file", "job-value", "direct"], run.Lines("direct").Take(3));
        Assert.Equal(2, run.Step("direct", 2).GetProperty("exitCode").GetInt32());
        Assert.Equal("failure", run.Step("direct", 2).GetProperty("outcome").GetString());
    }
}
