using Loom.Core.Runtime;

namespace Loom.Core.Tests.Runtime;

public sealed class FileCommandTests
{
    private static KeyValuePair<string, string>[] Pairs(string text)
    {
        var result = FileCommandParser.Parse(text);
        Assert.Null(result.Error);
        return [.. result.Pairs];
    }

    private static FileCommandError Error(string text) => FileCommandParser.Parse(text).Error!;

    private static KeyValuePair<string, string> Pair(string name, string value) => new(name, value);

    [Fact]
    public void Name_value_lines_split_at_the_first_equals_sign()
        => Assert.Equal([Pair("a", "1"), Pair("b", "x=y"), Pair("c", "")], Pairs("a=1\nb=x=y\nc=\n"));

    [Fact]
    public void Empty_lines_are_skipped_and_the_last_line_needs_no_break()
        => Assert.Equal([Pair("a", "1"), Pair("b", "2")], Pairs("\na=1\n\n\nb=2"));

    [Fact]
    public void Names_and_values_are_not_trimmed()
        => Assert.Equal([Pair("a ", " 1 ")], Pairs("a = 1 \n"));

    [Fact]
    public void A_heredoc_block_keeps_its_inner_lines_without_the_last_break()
        => Assert.Equal([Pair("json", "{\n  \"a\": 1\n}"), Pair("next", "x")], Pairs("json<<EOF\n{\n  \"a\": 1\n}\nEOF\nnext=x\n"));

    [Fact]
    public void An_empty_heredoc_block_is_an_empty_value()
        => Assert.Equal([Pair("a", "")], Pairs("a<<EOF\nEOF\n"));

    [Fact]
    public void A_heredoc_value_may_hold_blank_lines_and_equals_signs()
        => Assert.Equal([Pair("a", "\nx=1\n")], Pairs("a<<END\n\nx=1\n\nEND"));

    [Fact]
    public void Crlf_ends_lines_and_inner_crlf_is_kept()
        => Assert.Equal([Pair("a", "1"), Pair("b", "x\r\ny")], Pairs("a=1\r\nb<<EOF\r\nx\r\ny\r\nEOF\r\n"));

    [Fact]
    public void Whichever_of_equals_and_heredoc_comes_first_decides()
    {
        Assert.Equal([Pair("a", "b<<c")], Pairs("a=b<<c\n"));
        Assert.Equal([Pair("a", "v")], Pairs("a<<E=F\nv\nE=F\n"));
    }

    [Fact]
    public void The_delimiter_must_match_the_whole_line()
        => Assert.Equal([Pair("a", " EOF\nEOF ")], Pairs("a<<EOF\n EOF\nEOF \nEOF\n"));

    [Fact]
    public void A_missing_delimiter_is_reported_at_the_block_start()
    {
        var result = FileCommandParser.Parse("a=1\nb<<EOF\nx\ny\n");
        Assert.Equal(new FileCommandError(2, "no line 'EOF' ends the value of 'b' started here"), result.Error);
        Assert.Equal([Pair("a", "1")], result.Pairs);
    }

    [Theory]
    [InlineData("=1", 1, "the name before '=' is empty")]
    [InlineData("a=1\n<<EOF\nx\nEOF", 2, "the name before '<<' is empty")]
    [InlineData("a<<\nx", 1, "the delimiter after 'a<<' is empty")]
    [InlineData("a=1\njust text\n", 2, "expected 'name=value' or 'name<<DELIMITER'")]
    public void Malformed_lines_are_reported_with_their_line(string text, int line, string message)
        => Assert.Equal(new FileCommandError(line, message), Error(text));

    [Fact]
    public void Errors_print_with_their_line()
        => Assert.Equal("line 3: x", new FileCommandError(3, "x").ToString());

    [Fact]
    public void Path_lines_put_the_latest_first_and_move_repeats_to_the_front()
    {
        var prepends = new PathPrepends();
        prepends.AddFileText("/a\n/b\n\n");
        prepends.AddFileText("/c\r\n/a\n");
        Assert.Equal(["/a", "/c", "/b"], prepends.Directories);
        Assert.Equal("/a:/c:/b:/usr/bin", prepends.Prepend("/usr/bin"));
        Assert.Equal("/a:/c:/b", prepends.Prepend(null));
    }

    [Fact]
    public void A_missing_step_file_reads_as_empty()
        => Assert.Equal("", StepFileReader.ReadAndClear(Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"))));

    [Fact]
    public void Reading_a_step_file_empties_it_for_the_next_step()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "\uFEFFa=1\n");
            Assert.Equal("a=1\n", StepFileReader.ReadAndClear(path));
            File.AppendAllText(path, "b=2\n");
            Assert.Equal("b=2\n", StepFileReader.ReadAndClear(path));
            Assert.Equal("", StepFileReader.ReadAndClear(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void An_oversized_step_file_is_refused_and_emptied()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, new string('x', 100));
            Assert.Throws<InvalidDataException>(() => StepFileReader.ReadAndClear(path, maxBytes: 10));
            Assert.Equal(0, new FileInfo(path).Length);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
