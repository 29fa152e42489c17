using Loom.Core.Expressions;

namespace Loom.Core.Tests.Expressions;

/// <summary>Templates (<c>${{ }}</c> among text) and <c>if</c> conditions.</summary>
public sealed class TemplateTests
{
    private static readonly EvaluationContext Context = Eval.Context(
        ("matrix", """{"os": "linux", "n": 3, "list": [1, 2]}"""),
        ("needs", """{"plan": {"outputs": {"targets": "[\"a\", \"b\"]"}}}"""));

    [Fact]
    public void Parts_keep_their_offsets_in_the_template_text()
    {
        var template = ExpressionTemplate.Parse("Build ${{ matrix.os }} #${{matrix.n}}");
        Assert.Collection(template.Parts,
            p => Assert.Equal(new LiteralPart(0, 6, "Build "), p),
            p => Assert.Equal((6, 16), (p.Offset, p.Length)),
            p => Assert.Equal(new LiteralPart(22, 2, " #"), p),
            p => Assert.Equal((24, 13), (p.Offset, p.Length)));
        var first = ((ExpressionPart)template.Parts[1]).Expression;
        Assert.Equal((9, 11), (first.Offset, first.Length));
        Assert.Equal("matrix.os", first.Text);
        Assert.Equal("Build linux #3", template.EvaluateToString(Context));
    }

    [Fact]
    public void A_template_without_expressions_is_its_text()
    {
        var template = ExpressionTemplate.Parse("plain $ { text } }}");
        Assert.False(template.HasExpressions);
        Assert.Equal("plain $ { text } }}", template.EvaluateToString(Context));
        Assert.Empty(ExpressionTemplate.Parse("").Parts);
    }

    [Fact]
    public void An_expression_ends_at_the_first_closing_braces_outside_a_string()
    {
        var template = ExpressionTemplate.Parse("echo ${{ format('{{{0}}}', 'x') }} ${{ 'a''}}b' }}");
        Assert.Equal("echo {x} a'}}b", template.EvaluateToString(Context));
    }

    [Fact]
    public void A_single_expression_keeps_its_type()
    {
        var template = ExpressionTemplate.Parse("  ${{ fromJSON(needs.plan.outputs.targets) }}\n");
        Assert.NotNull(template.SingleExpression);
        var value = template.EvaluateValue(Context);
        Assert.Equal(ValueKind.Array, value.Kind);
        Assert.Equal(["a", "b"], value.Items.Select(i => i.AsString()));
        Assert.Equal(3d, ExpressionTemplate.Parse("${{ matrix.n }}").EvaluateValue(Context).ToNumber());
        Assert.Equal(ValueKind.Boolean, ExpressionTemplate.Parse("${{ false }}").EvaluateValue(Context).Kind);
    }

    [Fact]
    public void Text_around_an_expression_makes_a_string()
    {
        var template = ExpressionTemplate.Parse("x${{ matrix.n }}");
        Assert.Null(template.SingleExpression);
        Assert.Equal("x3", template.EvaluateValue(Context).AsString());
        Assert.Equal("1 2 Array", ExpressionTemplate.Parse("${{ 1 }} ${{ 2 }} ${{ matrix.list }}").EvaluateToString(Context));
    }

    [Theory]
    [InlineData("echo ${{ matrix.os", "'${{' is not closed by '}}'", 5)]
    [InlineData("a ${{ 'b }}", "'${{' is not closed by '}}'", 2)]
    [InlineData("${{ }}", "empty expression", 4)]
    [InlineData("ok ${{ a ) }}", "unexpected ')'", 9)]
    [InlineData("${{ x }} ${{ y(", "'${{' is not closed by '}}'", 9)]
    public void Template_errors_point_into_the_template_text(string text, string message, int offset)
    {
        var error = Assert.Throws<ExpressionSyntaxException>(() => ExpressionTemplate.Parse(text));
        Assert.Equal((message, offset), (error.Message, error.Offset));
    }

    [Theory]
    [InlineData("matrix.os == 'linux'")]
    [InlineData("${{ matrix.os == 'linux' }}")]
    [InlineData("  ${{ matrix.os == 'LINUX' }}  ")]
    public void An_if_may_omit_the_braces(string text) => Assert.True(IfCondition.Parse(text).Evaluate(Context));

    [Fact]
    public void An_if_without_a_status_function_implies_success()
    {
        var condition = IfCondition.Parse("matrix.os == 'linux'");
        Assert.False(condition.CallsStatusFunction);
        Assert.False(condition.Evaluate(Context.WithStatus(new StatusSnapshot(false, true, false))));
        Assert.False(condition.Evaluate(Context.WithStatus(new StatusSnapshot(true, false, true))));
        // The implied success() short-circuits: the failing fromJSON is never evaluated.
        Assert.False(IfCondition.Parse("fromJSON('x')").Evaluate(Context.WithStatus(new StatusSnapshot(false, true, false))));
    }

    [Fact]
    public void An_if_with_a_status_function_anywhere_decides_alone()
    {
        var failed = Context.WithStatus(new StatusSnapshot(false, true, false));
        Assert.True(IfCondition.Parse("${{ always() }}").Evaluate(failed));
        Assert.True(IfCondition.Parse("failure() && matrix.os == 'linux'").Evaluate(failed));
        Assert.True(IfCondition.Parse("!cancelled()").Evaluate(failed));
        Assert.True(IfCondition.Parse("contains(format('{0}', failure()), 'true')").CallsStatusFunction);
        Assert.True(IfCondition.Default.CallsStatusFunction);
        Assert.False(IfCondition.Default.Evaluate(failed));
        Assert.True(IfCondition.Default.Evaluate(Context));
    }

    [Theory]
    [InlineData("${{ matrix.os }} == 'linux'", 17)]
    [InlineData("x ${{ true }}", 0)]
    [InlineData("${{ true }} ${{ false }}", 12)]
    public void An_if_with_text_outside_its_braces_is_an_error(string text, int offset)
    {
        var error = Assert.Throws<ExpressionSyntaxException>(() => IfCondition.Parse(text));
        Assert.Equal(offset, error.Offset);
        Assert.StartsWith("an 'if' must be one expression", error.Message);
    }

    [Fact]
    public void If_errors_point_into_the_if_text()
    {
        Assert.Equal(6, Assert.Throws<ExpressionSyntaxException>(() => IfCondition.Parse("${{ a ) }}")).Offset);
        Assert.Equal(2, Assert.Throws<ExpressionSyntaxException>(() => IfCondition.Parse("a ) ")).Offset);
    }
}
