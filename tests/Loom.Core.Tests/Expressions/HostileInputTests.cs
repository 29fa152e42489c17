using System.Diagnostics;
using CsCheck;
using Loom.Core.Expressions;

namespace Loom.Core.Tests.Expressions;

/// <summary>Hostile input is rejected quickly with the documented error types: no crash, no hang, no stack overflow.</summary>
public sealed class HostileInputTests
{
    [Theory]
    [InlineData("(", ")")]
    [InlineData("!", "")]
    [InlineData("f(", ")")]
    [InlineData("a[", "]")]
    public void Deep_nesting_is_rejected(string open, string close)
    {
        var text = string.Concat(Enumerable.Repeat(open, 5000)) + "a" + string.Concat(Enumerable.Repeat(close, 5000));
        var error = Eval.SyntaxError(text);
        Assert.Equal("expression nests deeper than 100 levels", error.Message);
    }

    [Fact]
    public void Nesting_within_the_limit_is_fine()
    {
        var text = new string('(', 90) + "1" + new string(')', 90);
        Assert.Equal("1", Eval.Text(text));
    }

    [Fact]
    public void Long_chains_are_bounded_or_flat()
    {
        // && and || chains are flat, so they may be long...
        var chain = string.Join(" && ", Enumerable.Repeat("true", 8_000));
        Assert.True(Eval.Bool(chain));
        // ...while comparison and member chains deepen the tree and are bounded.
        Assert.Contains("nests deeper", Eval.SyntaxError(string.Join(" == ", Enumerable.Repeat("1", 500))).Message);
        Assert.Contains("nests deeper", Eval.SyntaxError("env" + string.Concat(Enumerable.Repeat(".a", 500))).Message);
    }

    [Fact]
    public void Huge_input_is_rejected_before_lexing()
    {
        var error = Eval.SyntaxError(new string('a', ExpressionLimits.MaxLength + 1));
        Assert.Equal((0, "expression is longer than 65536 characters"), (error.Offset, error.Message));
        var template = "x ${{ " + new string('1', ExpressionLimits.MaxLength + 1) + " }}";
        Assert.Equal(5, Assert.Throws<ExpressionSyntaxException>(() => ExpressionTemplate.Parse(template)).Offset);
    }

    [Fact]
    public void A_template_with_many_expressions_is_linear()
    {
        var text = string.Concat(Enumerable.Repeat("${{ 'a' }}", 100_000));
        var watch = Stopwatch.StartNew();
        Assert.Equal(100_000, ExpressionTemplate.Parse(text).EvaluateToString(EvaluationContext.Empty).Length);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }

    private static readonly string[] Fragments =
    [
        "a", "env", "matrix", "steps", "needs", "loom", "github", ".", "*", "[", "]", "(", ")", ",", "!", "==", "!=", "<",
        "<=", ">", ">=", "&&", "||", "'", "''", "'x'", "1", "-1", "0x1F", "1e5", ".5", "true", "null", "NaN", "Infinity",
        "format", "fromJSON", "toJSON", "contains", "join", "success", "always", "${{", "}}", " ", "\n", "{0}", "\"", "=", "&",
    ];

    private static readonly Gen<string> Texts = Gen.Frequency(
        (3, Gen.OneOf(Fragments.Select(Gen.Const).ToArray()).Array[0, 40].Select(string.Concat)),
        (1, Gen.String[Gen.Char['\0', '\u00FF'], 0, 80]),
        (1, Gen.String));

    private static readonly EvaluationContext Data = Eval.Context(
        ("env", """{"a": [1, {"b": "x"}], "x": "{0}"}"""), ("matrix", """{"a": {"b": [true]}}"""));

    [Fact]
    public void Arbitrary_text_only_ever_raises_the_documented_errors() => Texts.Sample(text =>
    {
        var watch = Stopwatch.StartNew();
        AssertOnlyExpressionErrors(text, () => Expression.Parse(text).Evaluate(Data));
        AssertOnlyExpressionErrors(text, () => ExpressionTemplate.Parse(text).EvaluateToString(Data));
        AssertOnlyExpressionErrors(text, () => IfCondition.Parse(text).Evaluate(Data));
        AssertOnlyExpressionErrors(text, () => new ExpressionChecker().Check(Expression.Parse(text), ExpressionScope.For(ExpressionPlace.StepIf)));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"took {watch.Elapsed} on \"{text}\"");
    }, iter: 20_000);

    private static void AssertOnlyExpressionErrors(string text, Action action)
    {
        try
        {
            action();
        }
        catch (ExpressionException e)
        {
            Assert.InRange(e.Offset, 0, text.Length);
            Assert.False(string.IsNullOrWhiteSpace(e.Message));
        }
    }
}
