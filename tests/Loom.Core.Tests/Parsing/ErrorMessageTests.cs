using Loom.Core.Parsing;

namespace Loom.Core.Tests.Parsing;

/// <summary>Each error of spec §7 with its exact <c>file:line:col</c> text.</summary>
public sealed class ErrorMessageTests
{
    private static string[] Errors(string yaml, ParseLimits? limits = null)
    {
        var result = WorkflowLoader.Load("w.yml", yaml, limits);
        Assert.Null(result.Workflow);
        return result.Errors.Select(e => e.ToString()).ToArray();
    }

    private static void AssertError(string expected, string yaml) => Assert.Equal([expected], Errors(yaml));

    [Fact]
    public void Duplicate_key_is_reported_at_its_second_occurrence() => AssertError("w.yml:4:3: error: duplicate key 'build'", """
        jobs:
          build:
            steps: [{ run: a }]
          build:
            steps: [{ run: b }]
        """);

    [Fact]
    public void Missing_steps_is_reported_at_the_start_of_the_job() => AssertError("w.yml:3:5: error: job 'build' has no 'steps'", """
        jobs:
          build:
            runs-on: linux
        """);

    [Fact]
    public void Missing_run_is_reported_at_the_start_of_the_step() => AssertError("w.yml:4:9: error: step 1 of job 'build' has no 'run'", """
        jobs:
          build:
            steps:
              - name: compile
        """);

    [Fact]
    public void Missing_jobs_is_reported_at_the_start_of_the_workflow() => AssertError("w.yml:2:1: error: workflow has no 'jobs'", """

        name: ci
        """);

    [Theory]
    [InlineData("")]
    [InlineData("# only a comment")]
    [InlineData("~")]
    public void An_empty_file_has_no_jobs(string yaml) => AssertError("w.yml:1:1: error: workflow has no 'jobs'", yaml);

    [Fact]
    public void Empty_jobs_and_steps_are_errors() => Assert.Equal(
        ["w.yml:1:7: error: 'jobs' must have at least one job"],
        Errors("jobs: {}"));

    [Fact]
    public void A_job_needs_a_step() => AssertError("w.yml:1:21: error: job 'a' must have at least one step", "jobs: { a: { steps: [] } }");

    [Theory]
    [InlineData("-1")]
    [InlineData("0")]
    [InlineData("ten")]
    [InlineData("\"10\"")]
    [InlineData(".nan")]
    [InlineData("Infinity")]
    [InlineData("10080.001")]
    [InlineData("10081")]
    [InlineData("1e300")]
    public void Timeout_must_be_above_0_and_at_most_7_days(string value)
    {
        var yaml = $"jobs: {{ a: {{ steps: [ {{ run: x, timeout-minutes: {value} }} ], timeout-minutes: {value} }} }}";
        var step = yaml.IndexOf("timeout-minutes: ", StringComparison.Ordinal) + 18;
        var job = yaml.LastIndexOf("timeout-minutes: ", StringComparison.Ordinal) + 18;
        const string message = "error: 'timeout-minutes' must be a number above 0 and at most 10080 (7 days)";

        Assert.Equal([$"w.yml:1:{step}: {message}", $"w.yml:1:{job}: {message}"], Errors(yaml));
    }

    [Fact]
    public void Max_parallel_must_be_a_positive_integer() => AssertError("w.yml:1:15: error: 'max-parallel' must be a positive integer",
        "max-parallel: 1.5\njobs: { a: { steps: [ { run: x } ] } }");

    [Fact]
    public void Continue_on_error_must_be_a_boolean() => AssertError("w.yml:1:33: error: 'continue-on-error' must be true or false",
        "jobs: { a: { continue-on-error: yes, steps: [ { run: x } ] } }");

    [Fact]
    public void Unknown_need_is_reported_at_the_entry_with_a_suggestion() => AssertError(
        "w.yml:5:22: error: job 'test' needs 'buld', which does not exist (did you mean 'build'?)", """
        jobs:
          build:
            steps: [{ run: a }]
          test:
            needs: [restore, buld]
            steps: [{ run: b }]
          restore:
            steps: [{ run: c }]
        """);

    [Fact]
    public void Unknown_need_without_a_close_job_has_no_suggestion() => AssertError(
        "w.yml:1:21: error: job 'a' needs 'zzzzzz', which does not exist", "jobs: { a: { needs: zzzzzz, steps: [ { run: x } ] } }");

    [Fact]
    public void Self_dependency_is_reported_at_the_need() => AssertError("w.yml:3:16: error: job 'a' needs itself", """
        jobs:
          a:
            needs: [b, a]
            steps: [{ run: x }]
          b:
            steps: [{ run: y }]
        """);

    [Fact]
    public void Cycle_is_reported_at_its_first_job() => AssertError("w.yml:2:3: error: dependency cycle: deploy -> test -> build -> deploy", """
        jobs:
          deploy:
            needs: test
            steps: [{ run: a }]
          test:
            needs: build
            steps: [{ run: b }]
          build:
            needs: deploy
            steps: [{ run: c }]
        """);

    [Theory]
    [InlineData("services")]
    [InlineData("container")]
    [InlineData("environment")]
    public void Container_and_environment_keys_are_not_supported(string key) => AssertError(
        $"w.yml:3:5: error: '{key}' is not supported: Loom runs steps on this machine, without containers or deployment environments", $"""
        jobs:
          a:
            {key}: {"{ x: 1 }"}
            steps: [{"{ run: x }"}]
        """);

    [Fact]
    public void Later_job_keys_are_read_and_their_shapes_checked() => Assert.Equal(
        [
            "w.yml:3:12: error: 'retry' needs 'max-attempts'",
            "w.yml:4:15: error: 'strategy' needs a 'matrix'",
            "w.yml:5:18: error: 'concurrency' needs a 'group'",
            "w.yml:6:12: error: 'cache' must be true or false",
        ],
        Errors("""
        jobs:
          a:
            retry: { backoff-seconds: 1 }
            strategy: { fail-fast: false }
            concurrency: { cancel-in-progress: true }
            cache: maybe
            outputs: { v: x }
            inputs: [src/**]
            produces: bin/**
            steps: [{ run: x }]
        """));

    [Fact]
    public void A_matrix_written_out_is_expanded_at_validate_time_and_counts_toward_the_job_limit()
    {
        Assert.Equal(
            ["w.yml:3:25: error: job 'a': the matrix has no combinations"],
            Errors("jobs:\n  a:\n    strategy: { matrix: { os: [x], exclude: [{ os: x }] } }\n    steps: [{ run: x }]"));
        var limited = WorkflowLoader.Load("w.yml", "jobs:\n  a:\n    strategy: { matrix: { n: [1, 2, 3] } }\n    steps: [{ run: x }]\n  b:\n    steps: [{ run: x }]",
            ParseLimits.Default with { MaxJobs = 3 });
        Assert.Equal(
            ["w.yml:3:25: error: job 'a': the matrix has more than 2 combinations, all the job limit leaves (--max-jobs)"],
            limited.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Workflow_concurrency_is_accepted_and_with_needs_a_uses_step() => Assert.Equal(
        ["w.yml:2:25: error: 'with' in step 1 of job 'a' belongs to a 'uses' step"],
        Errors("concurrency: deploy\njobs: { a: { steps: [ { with: { a: 1 }, run: x } ] } }"));

    [Fact]
    public void A_uses_step_names_the_step_and_the_action() => AssertError(
        "w.yml:5:9: error: step 2 of job 'build' uses 'actions/checkout@v4': only 'run:' steps are supported (--skip-uses skips such steps)", """
        jobs:
          build:
            steps:
              - run: make
              - uses: actions/checkout@v4
                with: { fetch-depth: 0 }
        """);

    [Fact]
    public void Unknown_keys_are_reported_at_the_key_with_a_suggestion() => Assert.Equal(
        [
            "w.yml:1:1: error: unknown key 'nme' in the workflow (did you mean 'name'?)",
            "w.yml:4:5: error: unknown key 'nedds' in job 'build' (did you mean 'needs'?)",
            "w.yml:5:5: error: unknown key 'foo' in job 'build'",
            "w.yml:7:9: error: unknown key 'Shell' in step 1 of job 'build' (did you mean 'shell'?)",
            "w.yml:9:24: error: unknown key 'shel' in 'defaults.run' (did you mean 'shell'?)",
            "w.yml:11:13: error: unknown key 'ru' in 'defaults' (did you mean 'run'?)",
        ],
        Errors("""
            nme: ci
            jobs:
              build:
                nedds: [a]
                foo: 1
                steps:
                  - Shell: bash
                    run: x
                defaults: { run: { shel: sh } }
                x-fine: 1
            defaults: { ru: {} }
            """));

    [Theory]
    [InlineData("max-parallel: ${{ x }}", "1:15", "max-parallel")]
    public void Expressions_are_not_allowed_where_spec_4_does_not_list_them(string line, string at, string key) =>
        AssertError($"w.yml:{at}: error: expressions are not allowed in '{key}'", line + "\njobs: { a: { steps: [ { run: x } ] } }");

    [Fact]
    public void A_step_id_and_needs_take_no_expression() => Assert.Equal(
        ["w.yml:3:12: error: expressions are not allowed in 'needs'", "w.yml:5:13: error: expressions are not allowed in 'id'"],
        Errors("""
        jobs:
          a:
            needs: ${{ x }}
            steps:
              - id: ${{ x }}
                run: make
        """));

    [Fact]
    public void Expressions_are_checked_for_unknown_contexts_steps_and_needs() => Assert.Equal(
        [
            "w.yml:4:23: error: unknown context 'envv' (did you mean 'env'?)",
            "w.yml:5:29: error: job 'b' is not in this job's needs",
            "w.yml:6:29: error: no step of this job has id 'nope'",
        ],
        Errors("""
        jobs:
          a:
            steps:
              - run: echo ${{ envv.A }}
              - run: echo ${{ needs.b.result }}
              - run: echo ${{ steps.nope.outputs.x }}
          b:
            steps: [{ run: x }]
        """));


    [Fact]
    public void An_if_error_points_into_a_plain_one_line_scalar() => Assert.Equal(
        [
            "w.yml:3:21: error: invalid 'if' expression: unexpected end of expression",
            "w.yml:7:13: error: invalid 'if' expression: expected ')'",
        ],
        Errors("""
            jobs:
              a:
                if: success() &&
                steps:
                  - run: x
                    if: ${{ github.ref }}
                  - if: "(always()"
                    run: y
            """));

    [Fact]
    public void Ids_must_match_the_id_pattern() => Assert.Equal(
        [
            "w.yml:2:3: error: job id '1st' must start with a letter or '_' and contain only letters, digits, '-' and '_'",
            "w.yml:4:15: error: step id 'a b' in step 1 of job '1st' must start with a letter or '_' and contain only letters, digits, '-' and '_'",
        ],
        Errors("""
            jobs:
              1st:
                steps:
                  - { id: a b, run: x }
            """));

    [Fact]
    public void Step_ids_are_unique_within_a_job() => AssertError("w.yml:5:15: error: duplicate step id 'v' in job 'a'", """
        jobs:
          a:
            steps:
              - { id: v, run: x }
              - { id: v, run: y }
          b:
            steps:
              - { id: v, run: z }
        """);

    [Theory]
    [InlineData("env: [A]", "1:6", "'env' must be a mapping of names to values")]
    [InlineData("env: { A: { B: 1 } }", "1:11", "env variable 'A' must be a string, number or boolean")]
    [InlineData("env: { A: [1] }", "1:11", "env variable 'A' must be a string, number or boolean")]
    [InlineData("name: [a]", "1:7", "'name' must be a string")]
    [InlineData("defaults: 1", "1:11", "'defaults' must be a mapping")]
    [InlineData("defaults: { run: [] }", "1:18", "'defaults.run' must be a mapping")]
    [InlineData("jobs2: 1", "1:1", "unknown key 'jobs2' in the workflow (did you mean 'jobs'?)")]
    public void Wrong_types_in_the_workflow(string line, string at, string message) =>
        AssertError($"w.yml:{at}: error: {message}", line + "\njobs: { a: { steps: [ { run: x } ] } }");

    [Theory]
    [InlineData("jobs: [a]", "1:7", "'jobs' must be a mapping of job ids to jobs")]
    [InlineData("jobs: { a: 1 }", "1:12", "job 'a' must be a mapping")]
    [InlineData("jobs: { a: { steps: 1 } }", "1:21", "'steps' must be a list")]
    [InlineData("jobs: { a: { steps: [ run ] } }", "1:23", "step 1 of job 'a' must be a mapping")]
    [InlineData("jobs: { a: { runs-on: { group: x }, steps: [ { run: x } ] } }", "1:23", "'runs-on' must be a string or a list of strings")]
    [InlineData("jobs: { a: { runs-on: [[x]], steps: [ { run: x } ] } }", "1:24", "'runs-on' must be a string or a list of strings")]
    [InlineData("jobs: { a: { needs: { b: 1 }, steps: [ { run: x } ] } }", "1:21", "'needs' must be a job id or a list of job ids")]
    [InlineData("jobs: { a: { if: [x], steps: [ { run: x } ] } }", "1:18", "'if' must be a string")]
    [InlineData("jobs: { a: { steps: [ { run: [x] } ] } }", "1:30", "'run' must be a string")]
    [InlineData("- jobs", "1:1", "a workflow must be a mapping with 'jobs'")]
    [InlineData("jobs: { [a]: 1 }", "1:9", "a mapping key must be a scalar")]
    public void Wrong_types_in_jobs_and_steps(string yaml, string at, string message)
    {
        Assert.Contains($"w.yml:{at}: error: {message}", Errors(yaml));
    }

    [Fact]
    public void A_job_that_is_not_a_mapping_still_satisfies_needs() => AssertError("w.yml:1:12: error: job 'a' must be a mapping",
        "jobs: { a: 1, b: { needs: a, steps: [ { run: x } ] } }");

    [Fact]
    public void Malformed_yaml_is_reported_at_the_parser_position() => AssertError(
        "w.yml:2:6: error: while scanning a quoted scalar, found unexpected end of stream", "jobs:\n  a: 'x\n");

    [Fact]
    public void A_flow_collection_indented_too_little_is_malformed_yaml() => AssertError(
        "w.yml:2:1: error: invalid YAML: check the indentation and brackets here", "jobs: [a,\nb: c\n");

    [Fact]
    public void A_tag_yamldotnet_rejects_is_malformed_yaml() => AssertError(
        "w.yml:1:13: error: global tags must be valid URIs", "name: !!s[tr x\njobs: { a: { steps: [ { run: x } ] } }");

    [Fact]
    public void A_duplicate_key_through_an_alias_is_reported_at_the_alias() => AssertError("w.yml:2:17: error: duplicate key 'name'",
        "x-k: &k name\nx-m: { name: 1, *k : 2 }\njobs: { a: { steps: [ { run: x } ] } }");

    [Fact]
    public void Several_documents_are_an_error() => AssertError("w.yml:2:1: error: a workflow file must hold a single YAML document",
        "jobs: { a: { steps: [ { run: x } ] } }\n---\njobs: {}\n");

    [Fact]
    public void An_alias_to_no_anchor_is_an_error() => AssertError("w.yml:1:7: error: alias '*nope' does not refer to an earlier anchor",
        "jobs: *nope");

    [Fact]
    public void User_text_in_messages_stays_on_one_line() => AssertError(
        "w.yml:1:1: error: unknown key 'a\\nb' in the workflow",
        "\"a\\nb\": 1\njobs: { a: { steps: [ { run: x } ] } }");

    [Fact]
    public void Placeholder_like_keys_are_shown_as_written() => AssertError(
        "w.yml:1:9: error: job id '{PropertyName}' must start with a letter or '_' and contain only letters, digits, '-' and '_'",
        "jobs: { '{PropertyName}': { steps: [ { run: x } ] } }");

    [Fact]
    public void Every_error_is_reported_at_once_in_line_order() => Assert.Equal(
        [
            "w.yml:1:1: error: unknown key 'nam' in the workflow (did you mean 'name'?)",
            "w.yml:2:15: error: 'max-parallel' must be a positive integer",
            "w.yml:4:3: error: job id 'bad id' must start with a letter or '_' and contain only letters, digits, '-' and '_'",
            "w.yml:5:5: error: job 'bad id' has no 'steps'",
            "w.yml:8:22: error: 'timeout-minutes' must be a number above 0 and at most 10080 (7 days)",
            "w.yml:9:12: error: job 'build' needs 'tset', which does not exist (did you mean 'test'?)",
            "w.yml:11:9: error: step 1 of job 'build' has no 'run'",
            "w.yml:12:9: error: step 2 of job 'build' uses 'actions/setup-dotnet@v4': only 'run:' steps are supported (--skip-uses skips such steps)",
            "w.yml:13:18: error: unknown context 'x'",
            "w.yml:15:3: error: duplicate key 'build'",
            "w.yml:18:3: error: dependency cycle: test -> deploy -> test",
            "w.yml:19:13: error: job 'test' needs itself",
        ],
        Errors("""
            nam: ci
            max-parallel: 0
            jobs:
              bad id:
                runs-on: linux
              build:
                strategy: { matrix: { os: [a] } }
                timeout-minutes: -5
                needs: tset
                steps:
                  - name: no run
                  - uses: actions/setup-dotnet@v4
                  - run: ${{ x }}
                    continue-on-error: false
              build:
                steps:
                  - run: again
              test:
                needs: [test, deploy]
                steps: [{ run: t }]
              deploy:
                needs: test
                steps: [{ run: d }]
            """));
}
