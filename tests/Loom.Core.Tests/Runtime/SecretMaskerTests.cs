using System.Diagnostics;
using System.Text;
using Loom.Core.Runtime;

namespace Loom.Core.Tests.Runtime;

public sealed class SecretMaskerTests
{
    private static SecretMasker With(params string[] values)
    {
        var masker = new SecretMasker();
        masker.AddRange(values);
        return masker;
    }

    private static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    [Fact]
    public void An_empty_masker_returns_the_same_line_instance()
    {
        var masker = new SecretMasker();
        var line = "nothing to hide";
        Assert.True(masker.IsEmpty);
        Assert.Same(line, masker.Mask(line));
    }

    [Fact]
    public void A_line_without_secrets_is_returned_unchanged()
    {
        var line = "nothing to hide";
        Assert.Same(line, With("hunter2").Mask(line));
    }

    [Fact]
    public void Every_occurrence_is_replaced()
        => Assert.Equal("a *** b *** c", With("hunter2").Mask("a hunter2 b hunter2 c"));

    [Fact]
    public void Blank_values_are_ignored()
    {
        var masker = With("", "   ", "\n");
        Assert.True(masker.IsEmpty);
        Assert.Equal("   ", masker.Mask("   "));
    }

    [Fact]
    public void A_short_value_is_still_masked_as_in_github()
        => Assert.Equal("x***y", With("ab").Mask("xaby"));

    [Fact]
    public void Surrounding_whitespace_of_a_value_is_not_needed_to_match()
        => Assert.Equal("pw=***", With("  hunter2 ").Mask("pw=hunter2"));

    [Fact]
    public void Overlapping_values_mask_their_union()
    {
        var masker = With("abcdef", "defghi");
        Assert.Equal("x***y", masker.Mask("xabcdefghiy"));
        Assert.Equal("x***y", masker.Mask("xabcdefy"));
    }

    [Fact]
    public void The_longest_value_wins_over_a_value_it_contains()
        => Assert.Equal("[***]", With("secret", "secret-token").Mask("[secret-token]"));

    [Fact]
    public void A_value_inside_a_longer_one_does_not_leave_the_rest_visible()
        => Assert.Equal("[***]", With("token", "secret-token-value").Mask("[secret-token-value]"));

    [Fact]
    public void Adjacent_occurrences_merge_as_in_the_runner()
        => Assert.Equal("=***=", With("abc1").Mask("=abc1abc1="));

    [Fact]
    public void A_multi_line_value_is_masked_line_by_line()
    {
        var masker = With("first-line\r\nsecond-line\nthird");
        Assert.Equal("***", masker.Mask("first-line"));
        Assert.Equal("got ***!", masker.Mask("got second-line!"));
        Assert.Equal("***", masker.Mask("third"));
        Assert.Equal("***", masker.Mask("first-line\r\nsecond-line\nthird"));
    }

    [Fact]
    public void Short_lines_of_a_multi_line_value_are_not_registered()
    {
        var masker = With("{\n  \"key\": \"private-key-material\"\n}");
        Assert.Equal("if (x) { y(); }", masker.Mask("if (x) { y(); }"));
        Assert.Equal("  ***", masker.Mask("  \"key\": \"private-key-material\""));
    }

    [Theory]
    [InlineData("")]
    [InlineData("u")]
    [InlineData("us")]
    [InlineData("user:")]
    [InlineData("x-access-token:")]
    public void The_base64_of_the_value_after_any_prefix_is_masked(string prefix)
    {
        var encoded = Base64(prefix + "correct horse battery");
        // Only the base64 groups holding prefix bytes may stay visible.
        var visible = (prefix.Length + 2) / 3 * 4;
        Assert.Equal(encoded[..visible] + "***", With("correct horse battery").Mask(encoded));
    }

    [Theory]
    [InlineData("correct horse battery")]
    [InlineData("correct horse batter")]
    [InlineData("correct horse batt")]
    public void The_base64_of_the_value_followed_by_a_newline_is_masked(string secret)
    {
        var masked = With(secret).Mask(Base64(secret + "\n"));
        Assert.StartsWith("***", masked);
        Assert.True(masked.Length <= 3 + 4, masked);
    }

    [Fact]
    public void The_padded_base64_is_masked_whole()
        => Assert.Equal("***", With("ab").Mask("YWI="));

    [Fact]
    public void Url_and_json_encoded_forms_are_masked()
    {
        var masker = With("p@ss w\"rd");
        Assert.Equal("?pw=***", masker.Mask("?pw=p%40ss%20w%22rd"));
        Assert.Equal("{\"pw\":\"***\"}", masker.Mask("{\"pw\":\"p@ss w\\\"rd\"}"));
    }

    [Fact]
    public void A_value_with_a_lone_surrogate_is_accepted()
        => Assert.Equal("***", With("\ud800abcd").Mask("\ud800abcd"));

    [Fact]
    public void Adding_the_same_value_twice_changes_nothing()
    {
        var masker = With("hunter2");
        masker.Add("hunter2");
        Assert.Equal("***", masker.Mask("hunter2"));
    }

    [Fact]
    public void Values_added_while_other_threads_mask_are_seen_afterwards()
    {
        var masker = new SecretMasker();
        Parallel.For(0, 200, i =>
        {
            masker.Add($"secret-{i:D4}");
            Assert.Equal("[***]", masker.Mask($"[secret-{i:D4}]"));
        });
        Assert.Equal("***", masker.Mask("secret-0199"));
    }

    [Fact]
    public void A_hundred_thousand_lines_with_many_secrets_mask_quickly()
    {
        var masker = new SecretMasker();
        masker.AddRange(Enumerable.Range(0, 200).Select(i => $"s3cr3t-value-{i:D3}-{Guid.NewGuid():N}"));
        var line = "2024-01-01T00:00:00Z compiling src/Some/Long/Path/File.cs (42 warnings, 0 errors) ok";
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 100_000; i++)
            Assert.Same(line, masker.Mask(line));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }
}
