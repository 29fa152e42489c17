using Loom.Core.Runtime;

namespace Loom.Core.Tests.Runtime;

public sealed class DotenvReaderTests
{
    private static IReadOnlyDictionary<string, string> Values(string text)
    {
        var result = DotenvReader.Parse("s.env", text);
        Assert.Empty(result.Errors);
        return result.Values;
    }

    private static string[] Errors(string text) => DotenvReader.Parse("s.env", text).Errors.Select(e => e.ToString()).ToArray();

    [Fact]
    public void Plain_and_exported_assignments_comments_and_blank_lines()
    {
        var values = Values("""
            # a comment
            A=1

              export B = two words   
            C=
            export=yes
            """);
        Assert.Equal(new Dictionary<string, string> { ["A"] = "1", ["B"] = "two words", ["C"] = "", ["export"] = "yes" }, values);
    }

    [Fact]
    public void An_unquoted_value_ends_before_a_comment_that_follows_whitespace()
        => Assert.Equal(["a#b", "x"], Values("A=a#b\nB=x # note\n").Values);

    [Fact]
    public void Single_quotes_are_literal()
        => Assert.Equal(@"a\n ""b"" # c", Values(@"A='a\n ""b"" # c'")["A"]);

    [Fact]
    public void Double_quotes_understand_escapes()
        => Assert.Equal("l1\nl2\t\"q\" \\ \\x #", Values(@"A=""l1\nl2\t\""q\"" \\ \x #"" # trailing comment")["A"]);

    [Fact]
    public void Quoted_values_may_span_lines()
    {
        var values = Values("KEY=\"-----BEGIN KEY-----\r\nabc\r\n-----END KEY-----\"\r\nNEXT='x\ny'\n");
        Assert.Equal("-----BEGIN KEY-----\nabc\n-----END KEY-----", values["KEY"]);
        Assert.Equal("x\ny", values["NEXT"]);
    }

    [Fact]
    public void Crlf_lines_do_not_keep_the_carriage_return()
        => Assert.Equal("1", Values("A=1\r\nB=2\r\n")["A"]);

    [Fact]
    public void A_repeated_name_keeps_its_last_value()
        => Assert.Equal("2", Values("A=1\nA=2")["A"]);

    [Fact]
    public void Every_error_is_reported_with_file_line_and_column()
        => Assert.Equal(
            [
                "s.env:1:1: error: expected a variable name (letters, digits and '_', not starting with a digit)",
                "s.env:2:5: error: expected '=' after 'ABC'",
                "s.env:3:2: error: '-' cannot appear in a variable name",
                "s.env:4:7: error: unexpected text after the closing quote of 'OK'",
                "s.env:5:3: error: the double quote that opens the value of 'U' is never closed",
            ],
            Errors("1A=x\nABC x\nA-B=1\nOK='a'b\nU=\"open\nV=1\n"));

    [Fact]
    public void Good_lines_around_errors_are_still_read()
    {
        var result = DotenvReader.Parse("s.env", "A=1\nbad line\nB=2\n");
        Assert.Single(result.Errors);
        Assert.Equal(["A", "B"], result.Values.Keys);
    }

    [Fact]
    public void A_missing_file_is_an_error_at_its_start()
    {
        var path = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "none.env");
        var error = Assert.Single(DotenvReader.ReadFile(path).Errors);
        Assert.StartsWith($"{path}:1:1: error: cannot read the file", error.ToString());
    }

    [Fact]
    public void Loom_secret_variables_become_secrets_without_the_prefix()
    {
        var secrets = SecretEnvironment.Collect(new Dictionary<string, string?>
        {
            ["LOOM_SECRET_TOKEN"] = "t0k3n",
            ["LOOM_SECRET_"] = "no name",
            ["loom_secret_lower"] = "not a secret",
            ["PATH"] = "/bin",
        });
        Assert.Equal(["TOKEN"], secrets.Keys);
        Assert.Equal("t0k3n", secrets["token"]);
    }
}
