using Loom.Actors.Persistence;
using Loom.Cli.Commands;
using Loom.Cli.History;
using Loom.Core.Model;

namespace Loom.Cli.Tests;

public sealed class PrunePlannerTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    // Newest first, as the journal lists them: started 1 h, 1 day, 3 days and 10 days ago.
    private static readonly RunSummary[] Runs =
    [
        new("r4", "ci", Now.AddHours(-1), null, null),
        new("r3", "ci", Now.AddDays(-1), Result.Success, TimeSpan.FromSeconds(1)),
        new("r2", "ci", Now.AddDays(-3), Result.Failure, TimeSpan.FromSeconds(1)),
        new("r1", "ci", Now.AddDays(-10), null, null),
    ];

    private static string[] Select(int? keep, TimeSpan? olderThan, params string[] held) =>
        PrunePlanner.Select(Runs, keep, olderThan, Now, held.Contains).Select(r => r.RunId).ToArray();

    [Fact]
    public void Keep_removes_what_is_beyond_the_newest_n() =>
        Assert.Equal(["r2", "r1"], Select(2, null));

    [Fact]
    public void Older_than_removes_runs_started_before_the_age() =>
        Assert.Equal(["r2", "r1"], Select(null, TimeSpan.FromDays(2)));

    [Fact]
    public void With_both_a_run_must_be_beyond_the_newest_n_and_older_than_the_age() =>
        Assert.Equal(["r1"], Select(3, TimeSpan.FromDays(2)));

    [Fact]
    public void A_run_going_on_is_never_removed()
    {
        Assert.Equal(["r3", "r2"], Select(0, null, "r4", "r1"));
        Assert.Equal(["r4", "r3", "r2", "r1"], Select(0, null));
    }

    [Theory]
    [InlineData("90s", 90)]
    [InlineData("30m", 30 * 60)]
    [InlineData("12h", 12 * 3600)]
    [InlineData("1.5d", 36 * 3600)]
    [InlineData("2w", 14 * 86400)]
    [InlineData("0s", 0)]
    public void Ages_take_a_unit(string text, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), PrunePlanner.ParseAge(text));

    [Theory]
    [InlineData("7")]
    [InlineData("7 days")]
    [InlineData("-1d")]
    [InlineData("d")]
    public void Other_ages_are_usage_errors(string text) =>
        Assert.Throws<UsageException>(() => PrunePlanner.ParseAge(text));
}
