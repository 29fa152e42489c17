using Loom.Core.Model;

namespace Loom.Cli.Output;

/// <summary>The table printed when a run ends.</summary>
public static class Summary
{
    public static void Write(TextWriter output, RunTally tally, Style style)
    {
        if (tally.Finished is not { } finished)
            return;
        var jobs = tally.Jobs;
        var longest = 0;
        foreach (var job in jobs)
            longest = Math.Max(longest, job.Id.Length);
        var width = Math.Min(40, jobs.Count == 0 ? 3 : longest);
        output.WriteLine();
        output.WriteLine(style.Bold($"{"job".PadRight(width)}  {"result",-9}  {"time",8}  detail"));
        // Large runs: successes are summarised; anything else is listed.
        var listAll = jobs.Count <= 50;
        foreach (var job in jobs)
        {
            if (!listAll && job.Result == Result.Success)
                continue;
            var result = job.Result ?? Result.Cancelled;
            var detail = job.Reason ?? (job.FailedStep is { } step ? $"step '{step}' failed" : "");
            output.WriteLine($"{style.Job(job.Id, Fit(job.Id, width).PadRight(width))}  {style.Result(result, $"{Style.Symbol(result),-9}")}  {Style.Duration(job.Duration),8}  {detail}");
        }
        foreach (var a in tally.Annotations)
        {
            var where = a.File is null ? "" : $"{a.File}{(a.Line is { } l ? $":{l}" : "")}{(a.Column is { } c ? $":{c}" : "")}: ";
            output.WriteLine($"{style.Job(a.JobId, a.JobId)}: {where}{a.Level}: {(a.Title is null ? "" : a.Title + ": ")}{a.Message}");
        }
        foreach (var summary in tally.Summaries)
        {
            output.WriteLine();
            output.WriteLine(style.Bold($"summary of {summary.JobId}"));
            output.WriteLine(summary.Markdown.TrimEnd());
        }
        output.WriteLine();
        output.WriteLine($"{style.Result(finished.Result, $"run {finished.Result.ToWire()}")} in {Style.Duration(finished.Duration)}: {Counts(jobs)}");
    }

    /// <summary>"3 success, 1 failure": each result that occurs, in the order of <see cref="Result"/>.</summary>
    /// <remarks>A loop, not GroupBy/OrderBy: LINQ over an enum key is compiled at run time, some ms of every run's end.</remarks>
    private static string Counts(IReadOnlyList<JobLine> jobs)
    {
        Span<int> counts = stackalloc int[4];
        foreach (var job in jobs)
            counts[(int)(job.Result ?? Result.Cancelled)]++;
        var parts = new List<string>(4);
        for (var result = Result.Success; result <= Result.Skipped; result++)
        {
            if (counts[(int)result] > 0)
                parts.Add($"{counts[(int)result]} {result.ToWire()}");
        }
        return string.Join(", ", parts);
    }

    private static string Fit(string text, int width) => text.Length <= width ? text : text[..(width - 1)] + "~";
}
