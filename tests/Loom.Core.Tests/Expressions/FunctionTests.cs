using Loom.Core.Expressions;

namespace Loom.Core.Tests.Expressions;

/// <summary>Each function with the examples of GitHub's "Evaluate expressions" page, plus the edge cases of its runner.</summary>
public sealed class FunctionTests
{
    [Theory]
    [InlineData("contains('Hello world', 'llo')", true)]
    [InlineData("contains('Hello world', 'LLO')", true)]
    [InlineData("contains('Hello world', 'xyz')", false)]
    [InlineData("contains(fromJSON('[\"push\", \"pull_request\"]'), 'PUSH')", true)]
    [InlineData("contains(fromJSON('[\"push\", \"pull_request\"]'), 'pull')", false)]
    [InlineData("contains(fromJSON('[1, 2]'), '2')", true)]
    [InlineData("contains(fromJSON('[]'), '')", false)]
    [InlineData("contains(123, 2)", true)]
    [InlineData("contains(true, 'ru')", true)]
    [InlineData("contains(fromJSON('{\"a\": 1}'), 'a')", false)]
    [InlineData("conTAINS('abc', fromJSON('[\"a\"]'))", false)]
    public void Contains(string expression, bool expected) => Assert.Equal(expected, Eval.Bool(expression));

    [Theory]
    [InlineData("startsWith('Hello world', 'He')", true)]
    [InlineData("startsWith('Hello world', 'hE')", true)]
    [InlineData("startsWith('Hello world', 'world')", false)]
    [InlineData("endsWith('Hello world', 'ld')", true)]
    [InlineData("endsWith('Hello world', 'LD')", true)]
    [InlineData("endsWith('Hello world', 'He')", false)]
    [InlineData("startsWith(12, 1)", true)]
    [InlineData("startsWith(fromJSON('[\"a\"]'), 'a')", false)]
    [InlineData("endsWith('Array', fromJSON('[]'))", false)]
    public void StartsWith_and_endsWith(string expression, bool expected) => Assert.Equal(expected, Eval.Bool(expression));

    [Theory]
    [InlineData("format('Hello {0} {1} {2}', 'Mona', 'the', 'Octocat')", "Hello Mona the Octocat")]
    [InlineData("format('{{Hello {0} {1} {2}!}}', 'Mona', 'the', 'Octocat')", "{Hello Mona the Octocat!}")]
    [InlineData("format('{0}{0}{1}', 'a', 2)", "aa2")]
    [InlineData("format('no placeholders')", "no placeholders")]
    [InlineData("format('{0}', null)", "")]
    [InlineData("format('{0} {1}', true, 1.5)", "true 1.5")]
    [InlineData("FORMAT('{0}', fromJSON('{}'))", "Object")]
    public void Format(string expression, string expected) => Assert.Equal(expected, Eval.Text(expression));

    [Theory]
    [InlineData("format('{0} {1}', 'a')", "refers to {1} but only 1 argument(s)")]
    [InlineData("format('{x}', 'a')", "'{' at index 0")]
    [InlineData("format('{0:D}', 1)", "'{' at index 0")]
    [InlineData("format('{', 'a')", "'{' at index 0")]
    [InlineData("format('a}b', 'a')", "'}' at index 1 must be doubled")]
    public void Format_rejects_bad_placeholders(string expression, string message)
    {
        var error = Eval.EvaluationError(expression);
        Assert.Contains(message, error.Message);
        Assert.Equal(0, error.Offset);
    }

    [Theory]
    [InlineData("join(fromJSON('[\"bug\", \"help wanted\"]'), ', ')", "bug, help wanted")]
    [InlineData("join(fromJSON('[\"a\", 1, true, null]'))", "a,1,true,")]
    [InlineData("join(fromJSON('[]'))", "")]
    [InlineData("join('abc', '-')", "abc")]
    [InlineData("join(1.5)", "1.5")]
    [InlineData("join(fromJSON('{\"a\": 1}'))", "")]
    [InlineData("join(fromJSON('[1, 2]'), fromJSON('[]'))", "1,2")]
    public void Join(string expression, string expected) => Assert.Equal(expected, Eval.Text(expression));

    [Fact]
    public void ToJson_and_fromJson_round_trip()
    {
        Assert.Equal("{\n  \"include\": [\n    {\n      \"os\": \"linux\"\n    }\n  ]\n}",
            Eval.Text("toJSON(fromJSON('{\"include\": [{\"os\": \"linux\"}]}'))"));
        Assert.Equal("\"It's\"", Eval.Text("toJson('It''s')"));
        Assert.True(Eval.Bool("fromJSON('true')"));
        Assert.Equal(42d, Eval.Value("fromJSON(' 42 ')").ToNumber());
        Assert.Equal(ValueKind.Null, Eval.Value("fromJSON('null')").Kind);
        Assert.Equal("linux", Eval.Text("fromJSON('{\"include\": [{\"os\": \"linux\"}]}').INCLUDE[0].os"));
    }

    [Fact]
    public void FromJson_of_a_step_output_compares_as_a_number()
    {
        var context = EvaluationContext.Empty.With("steps", Eval.Json("""{"count": {"outputs": {"n": "10"}}}"""));
        Assert.True(Eval.Bool("fromJSON(steps.count.outputs.n) > 9", context));
    }

    [Theory]
    [InlineData("fromJSON('{\"a\": ')")]
    [InlineData("fromJSON('')")]
    [InlineData("fromJSON('not json')")]
    public void FromJson_of_invalid_json_is_an_evaluation_error(string expression)
    {
        var error = Eval.EvaluationError(expression);
        Assert.StartsWith("fromJSON: invalid JSON: ", error.Message);
        Assert.Equal(0, error.Offset);
    }

    [Fact]
    public void Evaluation_errors_point_at_the_failing_call()
    {
        var error = Eval.EvaluationError("true && fromJSON('x')");
        Assert.Equal(8, error.Offset);
    }

    [Theory]
    [InlineData(true, false, false, "success()", true)]
    [InlineData(true, false, true, "success()", false)]
    [InlineData(false, true, false, "success()", false)]
    [InlineData(false, true, false, "failure()", true)]
    [InlineData(true, false, false, "failure()", false)]
    [InlineData(true, false, true, "cancelled()", true)]
    [InlineData(true, false, false, "cancelled()", false)]
    [InlineData(false, true, true, "always()", true)]
    public void Status_functions_read_the_snapshot(bool succeeded, bool failed, bool cancelled, string expression, bool expected)
    {
        var context = EvaluationContext.Empty.WithStatus(new StatusSnapshot(succeeded, failed, cancelled));
        Assert.Equal(expected, Eval.Bool(expression, context));
    }

    [Theory]
    [InlineData("nope()", "unknown function 'nope'")]
    [InlineData("contains('a')", "'contains' takes 2 arguments, got 1")]
    [InlineData("success(1)", "'success' takes no arguments, got 1")]
    [InlineData("join()", "'join' takes 1 to 2 arguments, got 0")]
    public void Unchecked_calls_fail_cleanly_at_run_time(string expression, string message) =>
        Assert.Equal(message, Eval.EvaluationError(expression).Message);

    [Fact]
    public void Format_bounds_its_result()
    {
        var context = EvaluationContext.Empty.With("env", ExpressionValue.FromStrings([KeyValuePair.Create("BIG", new string('x', 1_000_000))]));
        var placeholders = string.Concat(Enumerable.Repeat("{0}", 20));
        var error = Eval.EvaluationError($"format('{placeholders}', env.BIG)", context);
        Assert.Contains("longer than", error.Message);
    }
}
