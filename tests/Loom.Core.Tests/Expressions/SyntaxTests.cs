using Loom.Core.Expressions;

namespace Loom.Core.Tests.Expressions;

/// <summary>Literals, grammar, and syntax errors with the offset of the offending character.</summary>
public sealed class SyntaxTests
{
    [Theory]
    [InlineData("711", 711d)]
    [InlineData("-9.2", -9.2)]
    [InlineData("0xff", 255d)]
    [InlineData("-2.99e-2", -0.0299)]
    [InlineData("+5", 5d)]
    [InlineData(".5", 0.5)]
    [InlineData("1E3", 1000d)]
    [InlineData("-Infinity", double.NegativeInfinity)]
    public void Number_literals(string text, double expected) => Assert.Equal(expected, Eval.Value(text).ToNumber());

    [Fact]
    public void Literals_and_names()
    {
        Assert.Equal(ValueKind.Null, Eval.Value("null").Kind);
        Assert.Equal("It's open source!", Eval.Text("'It''s open source!'"));
        Assert.Equal("", Eval.Text("''"));
        Assert.Equal("''", Eval.Text("''''''"));
        Assert.Equal("}}", Eval.Text("'}}'"));
        var context = Eval.Context(("strategy", """{"fail-fast": true, "null": 1, "true": 2}"""));
        Assert.True(Eval.Bool("strategy.fail-fast", context));
        Assert.Equal("1", Eval.Text("strategy.null", context));
        Assert.Equal("2", Eval.Text("strategy.true", context));
        Assert.Equal("1", Eval.Text(" ( strategy ) [ 'null' ] ", context));
    }

    [Fact]
    public void Every_node_knows_its_span()
    {
        var expression = Expression.Parse("  env.A == 'x'  ");
        Assert.Equal("env.A == 'x'", expression.Text);
        var comparison = Assert.IsType<ComparisonNode>(expression.Root);
        Assert.Equal((2, 12), (comparison.Offset, comparison.Length));
        var property = Assert.IsType<PropertyNode>(comparison.Left);
        Assert.Equal((2, 5, 6), (property.Offset, property.Length, property.NameOffset));
        Assert.Equal((11, 3), (comparison.Right.Offset, comparison.Right.Length));
    }

    [Theory]
    [InlineData("", "empty expression", 0)]
    [InlineData("   ", "empty expression", 3)]
    [InlineData("a )", "unexpected ')'", 2)]
    [InlineData("(a", "expected ')'", 2)]
    [InlineData("'abc", "unterminated string", 0)]
    [InlineData("x == 'it''s", "unterminated string", 5)]
    [InlineData("format('a', 'b'", "expected ')' after arguments", 15)]
    [InlineData("format('a' 'b')", "expected ')' after arguments, found ''b''", 11)]
    [InlineData("format('a',)", "unexpected ')'", 11)]
    [InlineData("a[0", "expected ']' after index", 3)]
    [InlineData("a.", "expected a property name after '.', found end of expression", 2)]
    [InlineData("a.'b'", "expected a property name after '.', found ''b''", 2)]
    [InlineData("a = b", "unexpected '=' (did you mean '=='?)", 2)]
    [InlineData("a & b", "unexpected '&' (did you mean '&&'?)", 2)]
    [InlineData("a | b", "unexpected '|' (did you mean '||'?)", 2)]
    [InlineData("\"a\"", "unexpected '\"': strings use single quotes", 0)]
    [InlineData("a # b", "unexpected character '#'", 2)]
    [InlineData("a\u0001", "unexpected character U+0001", 1)]
    [InlineData("1x", "invalid number '1x'", 0)]
    [InlineData("a == - 1", "invalid number '-'", 5)]
    [InlineData("1 2", "unexpected '2'", 2)]
    [InlineData("'a'.b", "unexpected '.'", 3)]
    [InlineData("!", "unexpected end of expression", 1)]
    [InlineData("a &&", "unexpected end of expression", 4)]
    [InlineData("==", "unexpected '=='", 0)]
    [InlineData("a[*", "expected ']' after index", 3)]
    public void Syntax_errors_carry_the_offending_offset(string text, string message, int offset)
    {
        var error = Eval.SyntaxError(text);
        Assert.Equal(message, error.Message);
        Assert.Equal(offset, error.Offset);
    }

    [Fact]
    public void Long_lexemes_are_shortened_in_messages()
    {
        var error = Eval.SyntaxError("a '" + new string('x', 100) + "'");
        Assert.Equal("unexpected ''xxxxxxxxxxxxxxxxxxx...'", error.Message);
    }
}
