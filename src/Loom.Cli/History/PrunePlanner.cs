using System.Globalization;
using System.Text.RegularExpressions;
using Loom.Actors.Persistence;
using Loom.Cli.Commands;

namespace Loom.Cli.History;

/// <summary>
/// Which runs <c>loom prune</c> removes: with <c>--keep N</c> those beyond the newest N runs, with <c>--older-than AGE</c>
/// those started longer ago than AGE, with both only runs that are both; never a run a live <c>loom</c> holds.
/// </summary>
public static partial class PrunePlanner
{
    /// <param name="runs">Every run, newest first (as <see cref="RunJournal.RunsAsync"/> lists them).</param>
    /// <param name="isHeld">Whether a live <c>loom</c> runs the run now.</param>
    public static IReadOnlyList<RunSummary> Select(IReadOnlyList<RunSummary> runs, int? keep, TimeSpan? olderThan, DateTimeOffset now, Func<string, bool> isHeld)
    {
        if (keep is null && olderThan is null)
            throw new ArgumentException("prune needs a count to keep or an age");
        var removed = new List<RunSummary>();
        for (var i = 0; i < runs.Count; i++)
        {
            var run = runs[i];
            if (keep is { } n && i < n)
                continue;
            if (olderThan is { } age && run.StartedAt > now - age)
                continue;
            if (!isHeld(run.RunId))
                removed.Add(run);
        }
        return removed;
    }

    /// <summary>An age such as <c>90s</c>, <c>30m</c>, <c>12h</c>, <c>7d</c> or <c>2w</c>.</summary>
    public static TimeSpan ParseAge(string text)
    {
        var match = AgePattern().Match(text);
        if (!match.Success || !double.TryParse(match.Groups[1].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
            throw new UsageException($"--older-than needs an age such as 12h or 7d (s, m, h, d, w), not '{text}'");
        var unit = match.Groups[2].Value switch
        {
            "s" => TimeSpan.FromSeconds(1),
            "m" => TimeSpan.FromMinutes(1),
            "h" => TimeSpan.FromHours(1),
            "d" => TimeSpan.FromDays(1),
            _ => TimeSpan.FromDays(7),
        };
        return amount * unit.TotalDays > 365 * 100 ? TimeSpan.FromDays(365 * 100) : unit * amount;
    }

    [GeneratedRegex(@"^(\d+(?:\.\d+)?)([smhdw])$")]
    private static partial Regex AgePattern();
}
