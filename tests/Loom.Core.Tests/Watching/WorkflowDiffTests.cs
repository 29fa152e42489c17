using System.Reflection;
using Loom.Core.Model;
using Loom.Core.Watching;

namespace Loom.Core.Tests.Watching;

public sealed class WorkflowDiffTests
{
    private const string Original = """
        env: { CONFIGURATION: Release }
        jobs:
          build:
            steps: [{ run: dotnet build }]
          test:
            needs: build
            steps: [{ run: dotnet test }]
          deploy:
            needs: test
            steps: [{ run: ./deploy.sh }]
          docs:
            steps: [{ run: make docs }]
        """;

    private static WorkflowDiff Diff(string edited) =>
        WorkflowDiff.Between(WatchWorkflows.Load(Original), WatchWorkflows.Load(edited));

    [Fact]
    public void Comments_blank_lines_and_moved_positions_change_nothing()
    {
        var diff = Diff("# a comment at the top\n\n" + Original.Replace("jobs:\n", "jobs:\n  # build first\n\n") + "\n# the end\n");

        Assert.True(diff.IsEmpty);
        Assert.Empty(diff.ToRun);
    }

    [Fact]
    public void A_changed_step_runs_its_job_and_the_jobs_that_need_it()
    {
        var diff = Diff(Original.Replace("run: dotnet test", "run: dotnet test --no-build"));

        Assert.Equal(["test"], diff.Changed);
        Assert.Equal(["test", "deploy"], diff.ToRun);
    }

    [Fact]
    public void A_workflow_env_change_reaches_every_job()
    {
        var diff = Diff(Original.Replace("Release", "Debug"));

        Assert.Equal(["build", "test", "deploy", "docs"], diff.Changed);
        Assert.Equal(["build", "test", "deploy", "docs"], diff.ToRun);
    }

    [Fact]
    public void A_workflow_env_value_a_job_overrides_does_not_change_that_job()
    {
        var before = WatchWorkflows.Load(Original.Replace("    steps: [{ run: make docs }]", "    env: { CONFIGURATION: Docs }\n    steps: [{ run: make docs }]"));
        var after = WatchWorkflows.Load(Original.Replace("Release", "Debug").Replace("    steps: [{ run: make docs }]", "    env: { CONFIGURATION: Docs }\n    steps: [{ run: make docs }]"));

        Assert.Equal(["build", "test", "deploy"], WorkflowDiff.Between(before, after).Changed);
    }

    [Fact]
    public void Workflow_defaults_reach_every_job()
    {
        var diff = Diff("defaults: { run: { shell: sh } }\n" + Original);

        Assert.Equal(["build", "test", "deploy", "docs"], diff.Changed);
    }

    [Fact]
    public void An_added_job_runs_with_its_dependents_and_a_removed_one_is_reported()
    {
        var diff = Diff(Original.Replace("""
              docs:
                steps: [{ run: make docs }]
            """, """
              lint:
                steps: [{ run: lint }]
            """));

        Assert.Equal(["lint"], diff.Added);
        Assert.Equal(["docs"], diff.Removed);
        Assert.Empty(diff.Changed);
        Assert.Equal(["lint"], diff.ToRun);
    }

    [Fact]
    public void Changed_needs_change_the_job()
    {
        var diff = Diff(Original.Replace("needs: test", "needs: [test, docs]"));

        Assert.Equal(["deploy"], diff.Changed);
        Assert.Equal(["deploy"], diff.ToRun);
    }

    [Fact]
    public void Every_job_setting_is_part_of_the_definition()
    {
        const string Everything = """
            jobs:
              build:
                name: Build
                runs-on: linux
                if: always()
                env: { A: b }
                defaults: { run: { shell: sh, working-directory: app } }
                timeout-minutes: 10
                continue-on-error: true
                retry: { max-attempts: 3, backoff-seconds: 2 }
                strategy: { fail-fast: false, max-parallel: 2, matrix: { os: [linux, mac] } }
                outputs: { v: x }
                inputs: ["src/**"]
                produces: ["bin/**"]
                cache: true
                concurrency: build
                steps:
                  - { id: s, name: S, run: make, shell: bash, working-directory: w, env: { B: c }, if: success(), timeout-minutes: 1, continue-on-error: true }
            """;
        var edits = new[]
        {
            ("name: Build", "name: Built"), ("runs-on: linux", "runs-on: mac"), ("if: always()", "if: failure()"),
            ("A: b", "A: c"), ("shell: sh,", "shell: bash,"), ("working-directory: app", "working-directory: lib"),
            ("timeout-minutes: 10", "timeout-minutes: 11"), ("continue-on-error: true\n", "continue-on-error: false\n"),
            ("max-attempts: 3", "max-attempts: 4"), ("backoff-seconds: 2", "backoff-seconds: 3"), ("fail-fast: false", "fail-fast: true"),
            ("max-parallel: 2", "max-parallel: 3"), ("[linux, mac]", "[mac, linux]"), ("v: x", "v: y"), ("src/**", "lib/**"),
            ("bin/**", "out/**"), ("cache: true", "cache: false"), ("concurrency: build", "concurrency: other"),
            ("id: s,", "id: t,"), ("name: S,", "name: T,"), ("run: make", "run: make all"), ("shell: bash,", "shell: sh,"),
            ("working-directory: w", "working-directory: v"), ("B: c", "B: d"), ("if: success()", "if: always()"),
            ("timeout-minutes: 1,", "timeout-minutes: 2,"), ("continue-on-error: true }", "continue-on-error: false }"),
        };
        var original = WatchWorkflows.Load(Everything);
        foreach (var (from, to) in edits)
        {
            Assert.True(Everything.Contains(from, StringComparison.Ordinal), from);
            var edited = WatchWorkflows.Load(Everything.Replace(from, to));
            Assert.True(WorkflowDiff.Between(original, edited).Changed.Count == 1, $"'{from}' -> '{to}' went unnoticed");
        }
    }

    /// <summary>A new field on the model must be added to <see cref="JobDefinition"/> (or listed here as not affecting a run).</summary>
    [Fact]
    public void The_definition_knows_every_field_of_the_model()
    {
        string[] covered =
        [
            "Job.Id", "Job.DisplayName", "Job.Needs", "Job.If", "Job.Env", "Job.Defaults", "Job.TimeoutMinutes", "Job.ContinueOnError",
            "Job.RunsOn", "Job.Steps", "Job.Outputs", "Job.Strategy", "Job.Retry", "Job.Inputs", "Job.Produces", "Job.Cache",
            "Job.Concurrency", "Step.Id", "Step.Name", "Step.Run", "Step.Shell", "Step.WorkingDirectory", "Step.Env", "Step.If",
            "Step.TimeoutMinutes", "Step.ContinueOnError", "Workflow.Name", "Workflow.Env", "Workflow.Defaults",
        ];
        string[] notAffectingAJob =
        [
            "Job.Location", "Job.Title", "Step.Location", "Step.Title", "Step.Index",
            "Workflow.FilePath", "Workflow.MaxParallel", "Workflow.Jobs", "Workflow.Concurrency", "Workflow.Item",
        ];
        var fields = new[] { typeof(Job), typeof(Step), typeof(Workflow) }
            .SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(p => $"{t.Name}.{p.Name}"))
            .Where(name => !name.EndsWith(".EqualityContract", StringComparison.Ordinal));

        Assert.Empty(fields.Except(covered).Except(notAffectingAJob));
    }
}
