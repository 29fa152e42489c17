using Loom.Core.Expressions;
using Loom.Core.Matrix;

namespace Loom.Core.Tests.Matrix;

/// <summary>The examples of GitHub's "Using a matrix for your jobs" page, expanded the same way.</summary>
public sealed class MatrixExpanderTests
{
    private static ExpressionValue Json(string json) =>
        ExpressionValue.TryParseJson(json, out var value, out var error) ? value : throw new ArgumentException(error);

    private static string[] Cells(string matrixJson) =>
        MatrixExpander.Expand(Json(matrixJson), 1000).Select(c => MatrixExpander.CellId("j", c)).ToArray();

    [Fact]
    public void The_product_varies_the_last_key_fastest()
    {
        Assert.Equal(
            ["j (12, ubuntu)", "j (12, windows)", "j (14, ubuntu)", "j (14, windows)"],
            Cells("""{ "version": [12, 14], "os": ["ubuntu", "windows"] }"""));
    }

    [Fact]
    public void Exclude_removes_every_combination_a_partial_entry_matches()
    {
        Assert.Equal(
            ["j (macos, 12, vim)", "j (windows, 14, vim)"],
            Cells("""
                { "os": ["macos", "windows"], "version": [12, 14], "environment": ["staging", "vim"],
                  "exclude": [ { "os": "macos", "version": 14 }, { "environment": "staging" }, { "os": "windows", "version": 12 } ] }
                """));
    }

    [Fact]
    public void Include_extends_matching_combinations_and_adds_the_rest_as_new_ones()
    {
        // GitHub's worked example: fruit x animal with four include entries.
        var cells = MatrixExpander.Expand(Json("""
            { "fruit": ["apple", "pear"], "animal": ["cat", "dog"],
              "include": [
                { "color": "green" },
                { "color": "pink", "animal": "cat" },
                { "fruit": "apple", "shape": "circle" },
                { "fruit": "banana" },
                { "fruit": "banana", "animal": "cat" } ] }
            """), 1000);
        Assert.Equal(
            [
                """{"fruit":"apple","animal":"cat","color":"pink","shape":"circle"}""",
                """{"fruit":"apple","animal":"dog","color":"green","shape":"circle"}""",
                """{"fruit":"pear","animal":"cat","color":"pink"}""",
                """{"fruit":"pear","animal":"dog","color":"green"}""",
                """{"fruit":"banana"}""",
                """{"fruit":"banana","animal":"cat"}""",
            ],
            cells.Select(c => c.ToString()));
    }

    [Fact]
    public void A_matrix_of_only_include_entries_has_those_cells()
    {
        Assert.Equal(["j (linux, 8)", "j (mac)"], Cells("""{ "include": [ { "os": "linux", "node": 8 }, { "os": "mac" } ] }"""));
    }

    [Theory]
    [InlineData("""{ "os": [] }""", "matrix entry 'os' has no values")]
    [InlineData("""{ "os": "linux" }""", "matrix entry 'os' must be a list of values, not string")]
    [InlineData("""[1, 2]""", "a matrix must be an object of names to lists of values, not array")]
    [InlineData("""{ "os": ["a"], "exclude": [ { "os": "a" } ] }""", "the matrix has no combinations")]
    [InlineData("""{ "include": [ 3 ] }""", "each matrix 'include' entry must be an object, not number")]
    public void A_malformed_matrix_is_an_error_naming_what_is_wrong(string json, string message)
    {
        var error = Assert.Throws<ExpressionEvaluationException>(() => MatrixExpander.Expand(Json(json), 1000));
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void More_cells_than_the_limit_is_an_error_before_they_are_built()
    {
        var values = string.Join(",", Enumerable.Range(0, 1000));
        var error = Assert.Throws<ExpressionEvaluationException>(() =>
            MatrixExpander.Expand(Json($$"""{ "a": [{{values}}], "b": [{{values}}], "c": [{{values}}] }"""), 100_000));
        Assert.Equal("the matrix has more than 100000 combinations, all the job limit leaves (--max-jobs)", error.Message);
    }
}
