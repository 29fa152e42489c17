using Loom.Actors.Persistence;
using Loom.Actors.Protocol;
using Loom.Cli.History;
using Loom.Cli.Output;
using Loom.Core.Model;

namespace Loom.Cli.Commands;

/// <summary><c>loom runs</c> and <c>loom show RUN</c>: the workspace's run history, read from its journal.</summary>
public static class HistoryCommands
{
    private static readonly HashSet<string> Flags = [];
    private static readonly HashSet<string> Values = ["--file"];

    /// <summary>Every recorded run, newest first: id, workflow, result, start, duration.</summary>
    public static async Task<int> RunsAsync(string[] args)
    {
        var line = CommandLine.Parse(args, Flags, Values);
        if (line.File is { } extra)
            throw new UsageException($"unexpected argument '{extra}' (loom runs [--file FILE])");
        var workspace = WorkspaceOf(line);
        var runs = await RunHistory.RunsAsync(workspace);
        if (runs.Count == 0)
        {
            Console.Out.WriteLine($"no run recorded in {RunHistory.JournalPath(workspace)} yet");
            return ExitCodes.Success;
        }
        PrintRuns(runs);
        return ExitCodes.Success;
    }

    /// <summary>The history's table: id, workflow, result, start, duration; newest first as given.</summary>
    public static void PrintRuns(IReadOnlyList<RunSummary> runs)
    {
        var idWidth = Math.Max(3, runs.Max(r => r.RunId.Length));
        var workflowWidth = Math.Min(30, Math.Max(8, runs.Max(r => r.Workflow.Length)));
        Console.Out.WriteLine($"{"run".PadRight(idWidth)}  {"workflow".PadRight(workflowWidth)}  {"result",-10}  {"started",-19}  {"duration",8}");
        foreach (var run in runs)
            Console.Out.WriteLine($"{run.RunId.PadRight(idWidth)}  {Fit(run.Workflow, workflowWidth).PadRight(workflowWidth)}  {ResultOf(run),-10}  {Started(run),-19}  {(run.Duration is { } d ? Style.Duration(d) : "-"),8}");
    }

    /// <summary>One run (the newest when RUN is left out): each job with its result, duration and why it ended so.</summary>
    public static async Task<int> ShowAsync(string[] args)
    {
        var line = CommandLine.Parse(args, Flags, Values);
        var workspace = WorkspaceOf(line);
        var runId = line.File;
        var loaded = await RunHistory.LoadAsync(workspace, runId)
            ?? throw new UsageException(runId is null ? $"no run recorded in {RunHistory.JournalPath(workspace)} yet" : $"no run '{runId}' in {RunHistory.JournalPath(workspace)} (see 'loom runs')");
        PrintRun(loaded.Run, loaded.Tally, loaded.Defined);
        return ExitCodes.Success;
    }

    /// <summary>One run: its head lines, then each job with its result, duration and why it ended so.</summary>
    public static void PrintRun(RunSummary run, RunTally tally, RunEvents.RunDefined? defined)
    {
        var took = run.Duration is { } d ? $" in {Style.Duration(d)}" : "";
        Console.Out.WriteLine($"run {run.RunId} ({run.Workflow}): {ResultOf(run)}{took}, started {Started(run)}");
        if (defined is not null)
        {
            var by = defined.Contexts.Loom.TryGetValue("actor", out var actor) && actor.Length > 0 ? $" by {actor}" : "";
            var commit = defined.Contexts.Loom.TryGetValue("sha", out var sha) && sha.Length >= 8 ? $" at commit {sha[..8]}" : "";
            Console.Out.WriteLine($"{defined.DisplayPath} (sha256 {defined.WorkflowHash[..Math.Min(12, defined.WorkflowHash.Length)]}), started{by}{commit}");
        }
        var width = Math.Min(40, Math.Max(3, tally.Jobs.Count == 0 ? 3 : tally.Jobs.Max(j => j.Id.Length)));
        Console.Out.WriteLine($"{"job".PadRight(width)}  {"result",-10}  {"time",8}  detail");
        foreach (var job in tally.Jobs)
        {
            var result = job.Result?.ToWire() ?? (job.State == JobLineState.Pending ? "pending" : "unfinished");
            var detail = job.FailedStep is { } step
                ? $"step '{step}' failed{(job.Reason is { } why ? $": {why}" : "")}"
                : job.Reason ?? (job.Attempt > 1 ? $"attempt {job.Attempt}" : "");
            Console.Out.WriteLine($"{Fit(job.Id, width).PadRight(width)}  {result,-10}  {Style.Duration(job.Duration),8}  {detail}");
        }
    }

    private static string WorkspaceOf(CommandLine line) =>
        RunCommand.Workspace(Path.GetFullPath(line.Value("--file") ?? WorkflowFiles.DefaultName));

    /// <summary>A run without its last event was still going, or its <c>loom</c> was killed.</summary>
    private static string ResultOf(RunSummary run) => run.Result?.ToWire() ?? "unfinished";

    private static string Started(RunSummary run) => run.StartedAt.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);

    private static string Fit(string text, int width) => text.Length <= width ? text : text[..(width - 1)] + "~";
}
