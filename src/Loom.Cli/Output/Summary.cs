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
        var width = Math.Min(40, jobs.Count == 0 ? 3 : jobs.Max(j => j.Id.Length));
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
        var counts = jobs.GroupBy(j => j.Result ?? Result.Cancelled).OrderBy(g => g.Key).Select(g => $"{g.Count()} {g.Key.ToWire()}");
        output.WriteLine();
        output.WriteLine($"{style.Result(finished.Result, $"run {finished.Result.ToWire()}")} in {Style.Duration(finished.Duration)}: {string.Join(", ", counts)}");
    }

    private static string Fit(string text, int width) => text.Length <= width ? text : text[..(width - 1)] + "~";
}
