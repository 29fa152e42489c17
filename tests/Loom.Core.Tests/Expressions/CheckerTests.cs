using Loom.Core.Expressions;

namespace Loom.Core.Tests.Expressions;

/// <summary>Validate-time checks of spec §4, each with its message and offset.</summary>
public sealed class CheckerTests
{
    private static readonly ExpressionScope Step =
        ExpressionScope.For(ExpressionPlace.StepSetting, needs: ["build", "lint"], stepIds: ["ver", "compile"], hasMatrix: true);

    private static IReadOnlyList<ExpressionProblem> Check(string expression, ExpressionScope? scope = null) =>
        new ExpressionChecker().Check(Expression.Parse(expression), scope ?? Step);

    private static void AssertProblem(string expression, string message, int offset, ExpressionScope? scope = null) =>
        Assert.Equal([new ExpressionProblem(offset, message)], Check(expression, scope));

    [Theory]
    [InlineData("env.A")]
    [InlineData("GITHUB.Ref_Name == 'main' && loom.event.head_commit.message")]
    [InlineData("needs.build.outputs.version || needs.LINT.result || needs.build.cells[0].matrix")]
    [InlineData("steps.ver.outputs.version && steps.compile.outcome == 'success' && steps['ver'].conclusion")]
    [InlineData("runner.os == 'Linux' && strategy.fail-fast && strategy.job-index < strategy.job-total && job.status")]
    [InlineData("matrix.os && secrets.TOKEN && vars.X && inputs.y && fromJSON(env.JSON).anything")]
    [InlineData("toJson(needs.*.result) && startsWith(format('{0}-{1}', 'a', 'b'), 'a') && hashFiles('**/*.cs')")]
    [InlineData("needs[format('{0}', 'x')].result && steps.*.outputs")]
    public void Valid_expressions_have_no_problems(string expression) => Assert.Empty(Check(expression));

    [Fact]
    public void Unknown_context_with_a_hint() => AssertProblem("enb.A", "unknown context 'enb' (did you mean 'env'?)", 0);

    [Fact]
    public void Unknown_function_with_a_hint() =>
        AssertProblem("1 == fromJSN('1')", "unknown function 'fromJSN' (did you mean 'fromJSON'?)", 5, ExpressionScope.For(ExpressionPlace.JobIf));

    [Theory]
    [InlineData("contains('a')", "'contains' takes 2 arguments, got 1")]
    [InlineData("join('a', 'b', 'c')", "'join' takes 1 to 2 arguments, got 3")]
    [InlineData("format()", "'format' takes at least 1 argument, got 0")]
    public void Wrong_argument_counts(string expression, string message) => AssertProblem(expression, message, 0);

    [Fact]
    public void Listed_properties_are_checked_with_hints()
    {
        AssertProblem("loom.jobb", "unknown property 'jobb' of 'loom' (did you mean 'job'?)", 5);
        AssertProblem("github['sha2']", "unknown property 'sha2' of 'github' (did you mean 'sha'?)", 7);
        AssertProblem("runner.oss", "unknown property 'oss' of 'runner' (did you mean 'os'?)", 7);
        AssertProblem("strategy.failfast", "unknown property 'failfast' of 'strategy' (did you mean 'fail-fast'?)", 9);
        AssertProblem("job.state", "unknown property 'state' of 'job' (did you mean 'status'?)", 4);
    }

    [Fact]
    public void Needs_must_name_a_needed_job()
    {
        AssertProblem("needs.buld.result", "job 'buld' is not in this job's needs (did you mean 'build'?)", 6);
        AssertProblem("needs.deploy.result", "job 'deploy' is not in this job's needs", 6);
        AssertProblem("needs.build.output.x", "unknown property 'output' of 'needs.build' (did you mean 'outputs'?)", 12);
    }

    [Fact]
    public void Steps_must_name_a_step_of_the_job()
    {
        AssertProblem("steps.vr.outputs.v", "no step of this job has id 'vr' (did you mean 'ver'?)", 6);
        AssertProblem("steps.ver.result", "unknown property 'result' of 'steps.ver'", 10);
    }

    [Fact]
    public void Contexts_must_be_available_where_the_expression_sits()
    {
        var jobIf = ExpressionScope.For(ExpressionPlace.JobIf, needs: ["build"]);
        AssertProblem("steps.a.outcome", "'steps' is not available in a job's 'if'", 0, jobIf);
        AssertProblem("success() && env.X", "'env' is not available in a job's 'if'", 13, jobIf);
        AssertProblem("secrets.X", "'secrets' is not available in a job's 'if'", 0, jobIf);
        var noMatrix = ExpressionScope.For(ExpressionPlace.StepSetting);
        AssertProblem("matrix.os", "'matrix' is not available here: the job has no 'strategy.matrix'", 0, noMatrix);
        AssertProblem("matrix.os", "'matrix' is not available in a job's 'strategy'", 0, ExpressionScope.For(ExpressionPlace.JobStrategy, hasMatrix: true));
        Assert.Empty(Check("steps.ver.outputs.v", ExpressionScope.For(ExpressionPlace.JobOutputs, stepIds: ["ver"])));
    }

    [Fact]
    public void Status_functions_only_in_if()
    {
        AssertProblem("always()", "'always()' is only allowed in 'if', not in a step", 0);
        Assert.Empty(Check("always() && steps.ver.outcome", ExpressionScope.For(ExpressionPlace.StepIf, stepIds: ["ver"])));
    }

    [Fact]
    public void Literal_format_strings_and_json_are_checked()
    {
        AssertProblem("format('{0} {3}', 'a', 'b')", "format: format string '{0} {3}' refers to {3} but only 2 argument(s) follow it", 7);
        AssertProblem("format('{x}')", "format: format string '{x}' is invalid: '{' at index 0 must start a placeholder such as {0} or be doubled", 7);
        AssertProblem("fromJSON('[1,')", "fromJSON: invalid JSON: " + JsonError("[1,"), 9);
        Assert.Empty(Check("format(env.F, 1) && fromJSON(env.J)"));
    }

    [Fact]
    public void Every_problem_is_reported_in_order()
    {
        var problems = Check("foo.x || bar() || loom.nope || needs.x.result");
        Assert.Equal([0, 9, 23, 37], problems.Select(p => p.Offset));
    }

    [Fact]
    public void Templates_report_offsets_in_the_template_text()
    {
        var template = ExpressionTemplate.Parse("echo ${{ env.A }} ${{ enb.B }}");
        Assert.Equal([new ExpressionProblem(22, "unknown context 'enb' (did you mean 'env'?)")], new ExpressionChecker().Check(template, Step));
    }

    private static string JsonError(string json)
    {
        ExpressionValue.TryParseJson(json, out _, out var error);
        return error;
    }
}
