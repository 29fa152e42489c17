using Loom.Cli.History;

namespace Loom.Cli.Commands;

/// <summary>
/// <c>loom why JOB</c>: follows a job that did not succeed down to the root cause: which need failed
/// or was skipped, which <c>if</c> was false and with which values, which step failed.
/// </summary>
public static class WhyCommand
{
    private static readonly HashSet<string> Flags = [];
    private static readonly HashSet<string> Values = ["--run", "--file"];

    public static async Task<int> ExecuteAsync(string[] args)
    {
        var line = CommandLine.Parse(args, Flags, Values);
        var job = line.File ?? throw new UsageException("loom why needs a job id (loom why JOB [--run RUN] [--file FILE])");
        var workflow = Path.GetFullPath(line.Value("--file") ?? WorkflowFiles.DefaultName);
        var workspace = RunCommand.Workspace(workflow);
        var run = line.Value("--run");
        var loaded = await RunHistory.LoadAsync(workspace, run)
            ?? throw new UsageException(run is null ? $"no run recorded in {RunHistory.JournalPath(workspace)} yet" : $"no run '{run}' in {RunHistory.JournalPath(workspace)}");
        return Explain(RunRecord.From(loaded.Tally), job);
    }

    /// <summary>Prints why <paramref name="job"/> (a matrix job: each of its cells) of the run ended as it did.</summary>
    public static int Explain(RunRecord record, string job)
    {
        var byId = record.Jobs.ToDictionary(j => j.Id, StringComparer.Ordinal);
        // A matrix job is its cells.
        var start = byId.ContainsKey(job) ? [job] : record.Jobs.Where(j => j.Id.StartsWith(job + " (", StringComparison.Ordinal)).Select(j => j.Id).ToList();
        if (start.Count == 0)
            throw new UsageException($"run {record.RunId} has no job '{job}'");
        Console.Out.WriteLine($"run {record.RunId} ({record.Workflow}): {record.Result}");
        foreach (var id in start)
            Explain(id, byId);
        return ExitCodes.Success;
    }

    private static void Explain(string id, Dictionary<string, JobRecord> jobs)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var current = jobs.GetValueOrDefault(id); current is not null && seen.Add(current.Id); current = current.Cause is { } cause ? Find(cause, jobs) : null)
            Console.Out.WriteLine($"{current.Id}: {current.Result}{Detail(current)}");
    }

    /// <summary>A cause names a job; for a matrix job the first cell that did not succeed explains it.</summary>
    private static JobRecord? Find(string cause, Dictionary<string, JobRecord> jobs) =>
        jobs.GetValueOrDefault(cause)
        ?? jobs.Values.Where(j => j.Id.StartsWith(cause + " (", StringComparison.Ordinal)).OrderBy(j => j.Result == "success").FirstOrDefault();

    private static string Detail(JobRecord job)
    {
        if (job.FailedStep is { } step)
        {
            var exit = job.ExitCode is { } code ? $"exit code {code}" : null;
            var more = job.Reason is { } reason && reason != exit ? $"; {reason}" : "";
            return $": step '{step}' failed{(exit is null ? "" : $" ({exit})")}{more}";
        }
        if (job.Reason is { } why)
            return $": {why}";
        return job.Result == "success" ? ": it ran and succeeded" : "";
    }
}
