using Loom.Core.Expressions;

namespace Loom.Core.Tests.Expressions;

/// <summary>The value model's conversions, checked against GitHub's documented coercion rules.</summary>
public sealed class ValueTests
{
    [Theory]
    [InlineData("null", false)]
    [InlineData("false", false)]
    [InlineData("0", false)]
    [InlineData("-0", false)]
    [InlineData("NaN", false)]
    [InlineData("''", false)]
    [InlineData("true", true)]
    [InlineData("1", true)]
    [InlineData("-1", true)]
    [InlineData("'0'", true)]
    [InlineData("'false'", true)]
    [InlineData("' '", true)]
    [InlineData("Infinity", true)]
    public void Truthiness_follows_the_documented_falsy_values(string literal, bool truthy) =>
        Assert.Equal(truthy, Eval.Value(literal).IsTruthy);

    [Fact]
    public void Arrays_and_objects_are_truthy_even_when_empty()
    {
        Assert.True(Eval.Json("[]").IsTruthy);
        Assert.True(Eval.Json("{}").IsTruthy);
    }

    [Theory]
    [InlineData("null", 0d)]
    [InlineData("true", 1d)]
    [InlineData("false", 0d)]
    [InlineData("''", 0d)]
    [InlineData("'  '", 0d)]
    [InlineData("' 123456.789 '", 123456.789)]
    [InlineData("' +5 '", 5d)]
    [InlineData("'-2.5e2'", -250d)]
    [InlineData("'0xff'", 255d)]
    [InlineData("'0xFF'", 255d)]
    [InlineData("'0o10'", 8d)]
    [InlineData("'.5'", 0.5)]
    [InlineData("'Infinity'", double.PositiveInfinity)]
    [InlineData("'-Infinity'", double.NegativeInfinity)]
    [InlineData("'abc'", double.NaN)]
    [InlineData("'1x'", double.NaN)]
    [InlineData("'0x'", double.NaN)]
    public void Conversion_to_number_follows_javascripts_Number(string literal, double expected) =>
        Assert.Equal(expected, Eval.Value(literal).ToNumber());

    [Fact]
    public void Arrays_and_objects_convert_to_NaN()
    {
        Assert.True(double.IsNaN(Eval.Json("[1]").ToNumber()));
        Assert.True(double.IsNaN(Eval.Json("{}").ToNumber()));
    }

    [Theory]
    [InlineData("null", "")]
    [InlineData("true", "true")]
    [InlineData("false", "false")]
    [InlineData("3", "3")]
    [InlineData("3.0", "3")]
    [InlineData("-0", "0")]
    [InlineData("-9.2", "-9.2")]
    [InlineData("0xff", "255")]
    [InlineData("-2.99e-2", "-0.0299")]
    [InlineData("1e21", "1E+21")]
    [InlineData("0.1", "0.1")]
    [InlineData("123456789012", "123456789012")]
    [InlineData("NaN", "NaN")]
    [InlineData("Infinity", "Infinity")]
    [InlineData("'It''s open source!'", "It's open source!")]
    public void Interpolation_text_is_what_githubs_runner_prints(string literal, string expected) =>
        Assert.Equal(expected, Eval.Text(literal));

    [Fact]
    public void Arrays_and_objects_interpolate_as_their_kind()
    {
        Assert.Equal("Array", Eval.Json("[1, 2]").ToInterpolationString());
        Assert.Equal("Object", Eval.Json("{\"a\": 1}").ToInterpolationString());
    }

    [Fact]
    public void Object_keys_are_case_insensitive_and_keep_insertion_order()
    {
        var value = Eval.Json("""{"b": 1, "A": 2, "B": 3}""");
        Assert.Equal(["b", "A"], value.Properties.Select(p => p.Key));
        Assert.Equal(3d, value["B"].ToNumber());
        Assert.Equal(2d, value["a"].ToNumber());
        Assert.Equal(ValueKind.Null, value["missing"].Kind);
    }

    [Fact]
    public void Large_objects_use_an_index_and_still_find_keys_ignoring_case()
    {
        var value = ExpressionValue.FromStrings(Enumerable.Range(0, 50).Select(i => KeyValuePair.Create($"Key{i}", $"v{i}")));
        Assert.Equal("v42", value["KEY42"].AsString());
        Assert.Equal(50, value.Properties.Count);
    }

    [Fact]
    public void ToJson_pretty_prints_with_two_spaces_like_github()
    {
        var value = Eval.Json("""{"name": "a<b>'c'", "n": 1, "f": 1.5, "list": [true, null], "empty": {}, "none": []}""");
        Assert.Equal(
            "{\n  \"name\": \"a<b>'c'\",\n  \"n\": 1,\n  \"f\": 1.5,\n  \"list\": [\n    true,\n    null\n  ],\n  \"empty\": {},\n  \"none\": []\n}",
            value.ToJson());
    }

    [Theory]
    [InlineData("null", "null")]
    [InlineData("true", "true")]
    [InlineData("-0", "0")]
    [InlineData("123456789", "123456789")]
    [InlineData("-1234.5", "-1234.5")]
    [InlineData("''", "\"\"")]
    [InlineData("'abc''def'", "\"abc'def\"")]
    public void ToJson_of_primitives(string literal, string json) => Assert.Equal(json, Eval.Value(literal).ToJson());

    [Fact]
    public void Invalid_json_reports_a_reason()
    {
        Assert.False(ExpressionValue.TryParseJson("{\"a\": ", out _, out var error));
        Assert.NotEmpty(error);
    }

    [Fact]
    public void Json_nested_deeper_than_the_limit_is_rejected_not_overflowed()
    {
        var deep = new string('[', 10_000) + new string(']', 10_000);
        Assert.False(ExpressionValue.TryParseJson(deep, out _, out var error));
        Assert.Contains("depth", error, StringComparison.OrdinalIgnoreCase);
    }
}
