using Loom.Core.Parsing;

namespace Loom.Core.Tests.Validation;

/// <summary>Spec §4: where a context or function may be used, checked with its position before anything runs.</summary>
public sealed class ExpressionPlaceTests
{
    private static string[] Errors(string yaml) => WorkflowLoader.Load("w.yml", yaml).Errors.Select(e => e.ToString()).ToArray();

    [Fact]
    public void A_job_if_cannot_read_steps_env_or_secrets()
    {
        var errors = Errors("""
            jobs:
              a:
                if: steps.x.outcome == 'success' || env.A || secrets.T
                steps: [{ run: x }]
            """);
        Assert.Equal(3, errors.Length);
        Assert.All(errors, e => Assert.Contains("is not available in a job's 'if'", e));
        Assert.StartsWith("w.yml:3:9: error: 'steps'", errors[0]);
    }

    [Fact]
    public void Matrix_is_only_for_a_job_with_a_matrix()
    {
        Assert.Equal(
            ["w.yml:4:23: error: 'matrix' is not available here: the job has no 'strategy.matrix'"],
            Errors("""
                jobs:
                  a:
                    steps:
                      - run: echo ${{ matrix.os }}
                  b:
                    strategy: { matrix: { os: [x] } }
                    steps:
                      - run: echo ${{ matrix.os }}
                """));
    }

    [Fact]
    public void Status_functions_are_only_for_if_and_calls_are_checked_for_arity_and_name()
    {
        var errors = Errors("""
            jobs:
              a:
                steps:
                  - run: echo ${{ success() }} ${{ startsWith('a') }} ${{ toJsn(env) }}
            """);
        Assert.Equal(3, errors.Length);
        Assert.Contains("'success()' is only allowed in 'if'", errors[0]);
        Assert.Contains("'startsWith' takes 2 arguments, got 1", errors[1]);
        Assert.Contains("unknown function 'toJsn' (did you mean 'toJSON'?)", errors[2]);
    }

    [Fact]
    public void Listed_properties_of_loom_github_runner_and_strategy_are_checked_case_insensitively()
    {
        var errors = Errors("""
            jobs:
              a:
                strategy: { matrix: { n: [1] } }
                steps:
                  - run: echo ${{ GitHub.SHA }} ${{ loom.shaa }} ${{ runner.OS }} ${{ strategy.job-index }} ${{ runner.cpu }}
            """);
        Assert.Equal(2, errors.Length);
        Assert.Contains("unknown property 'shaa' of 'loom' (did you mean 'sha'?)", errors[0]);
        Assert.Contains("unknown property 'cpu' of 'runner'", errors[1]);
    }

    [Fact]
    public void A_template_error_in_a_quoted_scalar_points_at_the_scalar()
    {
        Assert.Equal(
            ["w.yml:3:15: error: invalid expression: '${{' is not closed by '}}'"],
            Errors("""
                jobs:
                  a:
                    env: { A: "x ${{ env" }
                    steps: [{ run: x }]
                """));
    }
}
