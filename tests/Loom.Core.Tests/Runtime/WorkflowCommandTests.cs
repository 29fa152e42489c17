using Loom.Core.Runtime;

namespace Loom.Core.Tests.Runtime;

public sealed class WorkflowCommandTests
{
    private static WorkflowCommand Parse(string line)
    {
        Assert.True(WorkflowCommand.TryParse(line, out var command));
        return command;
    }

    [Fact]
    public void A_command_without_properties_has_a_name_and_a_message()
    {
        var command = Parse("::warning::disk almost full");
        Assert.Equal("warning", command.Name);
        Assert.Empty(command.Properties);
        Assert.Equal("disk almost full", command.Message);
    }

    [Fact]
    public void Properties_are_split_at_commas_and_their_first_equals_sign()
    {
        var command = Parse("::error file=app.js,line=10,col=15,title=Bad==thing::Missing semicolon");
        Assert.Equal("app.js", command.Property("file"));
        Assert.Equal("10", command.Property("line"));
        Assert.Equal("15", command.Property("col"));
        Assert.Equal("Bad==thing", command.Property("title"));
        Assert.Equal("Missing semicolon", command.Message);
    }

    [Fact]
    public void Property_keys_are_case_insensitive()
        => Assert.Equal("3", Parse("::error LINE=3::x").Property("line"));

    [Fact]
    public void Pairs_with_an_empty_key_or_value_are_dropped()
        => Assert.Equal(["ok"], Parse("::error =a,b=,,ok=1::x").Properties.Keys);

    [Fact]
    public void Leading_whitespace_is_allowed_as_in_the_runner()
        => Assert.Equal("group", Parse("  \t::group::Build").Name);

    [Fact]
    public void The_message_decodes_percent_cr_and_lf()
        => Assert.Equal("a\r\nb%0A", Parse("::error::a%0D%0Ab%250A").Message);

    [Fact]
    public void Lower_case_codes_are_left_alone()
        => Assert.Equal("a%0ab", Parse("::error::a%0ab").Message);

    [Fact]
    public void Property_values_also_decode_colon_and_comma_but_the_message_does_not()
    {
        var command = Parse("::error title=a%3Ab%2Cc%0Ad::x%3Ay%2Cz");
        Assert.Equal("a:b,c\nd", command.Property("title"));
        Assert.Equal("x%3Ay%2Cz", command.Message);
    }

    [Fact]
    public void The_message_may_contain_double_colons()
        => Assert.Equal("a::b", Parse("::notice::a::b").Message);

    [Theory]
    [InlineData("plain text")]
    [InlineData("::no-end-marker")]
    [InlineData(":: ::empty name")]
    [InlineData("::::")]
    [InlineData("x ::error::not at the start")]
    [InlineData("")]
    public void Other_lines_are_not_commands(string line)
        => Assert.False(WorkflowCommand.TryParse(line, out _));
}
