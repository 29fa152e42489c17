using Loom.Core.Expressions;

namespace Loom.Core.Tests.Expressions;

/// <summary>GitHub's operators: loose equality, ordering, precedence, and &amp;&amp;/|| returning an operand.</summary>
public sealed class OperatorTests
{
    [Theory]
    // Same kinds compare directly; strings ignore case.
    [InlineData("null == null", true)]
    [InlineData("true == true", true)]
    [InlineData("true == false", false)]
    [InlineData("1 == 1.0", true)]
    [InlineData("'abc' == 'ABC'", true)]
    [InlineData("'abc' == 'abd'", false)]
    // Different primitive kinds compare as numbers.
    [InlineData("null == 0", true)]
    [InlineData("null == false", true)]
    [InlineData("null == ''", true)]
    [InlineData("true == 1", true)]
    [InlineData("false == 0", true)]
    [InlineData("true == 'true'", false)]
    [InlineData("'' == 0", true)]
    [InlineData("' 123456.789 ' == 123456.789", true)]
    [InlineData("' 0xff ' == 255", true)]
    [InlineData("' 0o10 ' == 8", true)]
    [InlineData("' Infinity ' == Infinity", true)]
    [InlineData("' -Infinity ' == -Infinity", true)]
    [InlineData("'1' == true", true)]
    [InlineData("'abc' == 0", false)]
    // NaN equals nothing, not even itself.
    [InlineData("NaN == NaN", false)]
    [InlineData("NaN != NaN", true)]
    [InlineData("' NaN ' == NaN", false)]
    [InlineData("-0 == 0", true)]
    public void Loose_equality(string expression, bool expected) => Assert.Equal(expected, Eval.Bool(expression));

    [Fact]
    public void Arrays_and_objects_are_equal_only_to_themselves()
    {
        var context = Eval.Context(("env", """{"a": [1], "b": [1], "o": {}}"""));
        Assert.True(Eval.Bool("env.a == env.a", context));
        Assert.False(Eval.Bool("env.a == env.b", context));
        Assert.False(Eval.Bool("env.o == 'Object'", context));
        Assert.False(Eval.Bool("env.o == null", context));
        Assert.True(Eval.Bool("env.o != env.a", context));
    }

    [Theory]
    [InlineData("1 < 2", true)]
    [InlineData("2 < 1", false)]
    [InlineData("1.001 < 1.002", true)]
    [InlineData("'abc' < 'def'", true)]
    [InlineData("'ABC' < 'abd'", true)]
    [InlineData("'b' < 'a'", false)]
    [InlineData("false < true", true)]
    [InlineData("true > false", true)]
    [InlineData("false > 0", false)]
    [InlineData("false >= 0", true)]
    [InlineData("null < 1", true)]
    [InlineData("'10' > 9", true)]
    [InlineData("'10' > '9'", false)]
    [InlineData("'abc' < 1", false)]
    [InlineData("'abc' >= 1", false)]
    [InlineData("NaN < 1", false)]
    [InlineData("NaN >= NaN", false)]
    [InlineData("2 <= 2", true)]
    [InlineData("'A' <= 'a'", true)]
    [InlineData("3 >= 4", false)]
    public void Ordering(string expression, bool expected) => Assert.Equal(expected, Eval.Bool(expression));

    [Fact]
    public void Arrays_and_objects_are_never_ordered()
    {
        var context = Eval.Context(("env", """{"a": [], "o": {}}"""));
        Assert.False(Eval.Bool("env.a < env.a", context));
        Assert.False(Eval.Bool("env.o > env.o", context));
        Assert.True(Eval.Bool("env.o >= env.o", context)); // equal by reference
    }

    [Theory]
    [InlineData("'a' && 'b'", "b")]
    [InlineData("'' && 'b'", "")]
    [InlineData("0 && 'b'", "0")]
    [InlineData("null && 'b'", "")]
    [InlineData("'a' || 'b'", "a")]
    [InlineData("'' || 'b'", "b")]
    [InlineData("'' || 0", "0")]
    [InlineData("false || null || 'last'", "last")]
    [InlineData("1 && 2 && 3", "3")]
    public void And_and_or_return_the_deciding_operand(string expression, string expected) =>
        Assert.Equal(expected, Eval.Text(expression));

    [Fact]
    public void And_and_or_short_circuit()
    {
        // fromJSON('x') would fail if evaluated.
        Assert.Equal(ValueKind.Boolean, Eval.Value("false && fromJSON('x')").Kind);
        Assert.Equal("a", Eval.Text("'a' || fromJSON('x')"));
    }

    [Theory]
    [InlineData("!true", false)]
    [InlineData("!0", true)]
    [InlineData("!''", true)]
    [InlineData("!'a'", false)]
    [InlineData("!!'a'", true)]
    [InlineData("!null", true)]
    public void Not_uses_truthiness(string expression, bool expected) => Assert.Equal(expected, Eval.Bool(expression));

    [Theory]
    // && binds tighter than ||.
    [InlineData("true || false && false", true)]
    [InlineData("(true || false) && false", false)]
    // == binds tighter than &&.
    [InlineData("1 == 1 && 2 == 2", true)]
    // Comparisons bind tighter than ==: (1 < 2) == true.
    [InlineData("1 < 2 == true", true)]
    // ! binds tighter than comparisons: (!0) == true.
    [InlineData("!0 == true", true)]
    [InlineData("!(1 == 2)", true)]
    public void Precedence_is_githubs(string expression, bool expected) => Assert.Equal(expected, Eval.Value(expression).IsTruthy);

    [Fact]
    public void Dereferencing_never_fails()
    {
        var context = Eval.Context(("env", """{"s": "text", "list": [10, 20], "obj": {"Key": "v"}}"""), ("matrix", "{}"));
        Assert.Equal(ValueKind.Null, Eval.Value("env.missing.deeper", context).Kind);
        Assert.Equal(ValueKind.Null, Eval.Value("env.s.length", context).Kind);
        Assert.Equal(ValueKind.Null, Eval.Value("env.list[5]", context).Kind);
        Assert.Equal(ValueKind.Null, Eval.Value("env.list[-1]", context).Kind);
        Assert.Equal(ValueKind.Null, Eval.Value("env.list.name", context).Kind);
        Assert.Equal(ValueKind.Null, Eval.Value("steps.x.outputs.y", context).Kind);
        Assert.Equal("20", Eval.Text("env.list[1]", context));
        Assert.Equal("20", Eval.Text("env.list['1']", context));
        Assert.Equal("20", Eval.Text("env.list[1.7]", context));
        Assert.Equal("v", Eval.Text("env.OBJ['key']", context));
        Assert.Equal("v", Eval.Text("env['obj'].key", context));
        Assert.Equal("v", Eval.Text("ENV.obj[format('{0}', 'KEY')]", context));
    }

    [Fact]
    public void Github_is_an_alias_of_loom()
    {
        var context = EvaluationContext.Empty.With("loom", Eval.Json("""{"ref_name": "main"}"""));
        Assert.Equal("main", Eval.Text("github.ref_name", context));
        Assert.Equal("main", Eval.Text("GitHub.REF_NAME", context));
    }

    [Fact]
    public void Object_filter_collects_a_property_of_every_element()
    {
        var context = Eval.Context(("env", """
            {"fruits": [{"name": "apple"}, {"name": "orange"}, {"kind": "no name"}, {"name": "pear"}],
             "byName": {"a": {"n": 1}, "b": {"n": 2}},
             "nested": [[1, 2], [3]]}
            """));
        Assert.Equal("apple,orange,pear", Eval.Text("join(env.fruits.*.name)", context));
        Assert.Equal("1,2", Eval.Text("join(env.byName.*.n)", context));
        Assert.Equal("1,2,3", Eval.Text("join(env.nested.*.*)", context));
        Assert.Equal("1,3", Eval.Text("join(env.nested.*[0])", context));
        Assert.Equal("apple,orange,pear", Eval.Text("join(env.fruits[*].name)", context));
        Assert.Equal("", Eval.Text("join(env.missing.*.name)", context));
        Assert.True(Eval.Bool("contains(env.fruits.*.name, 'PEAR')", context));
    }
}
