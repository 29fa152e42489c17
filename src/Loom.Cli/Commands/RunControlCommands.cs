using System.Globalization;
using Loom.Actors.Execution;
using Loom.Cli.History;
using Loom.Core.Model;

namespace Loom.Cli.Commands;

/// <summary><c>loom cancel RUN</c> and <c>loom prune</c>: acting on the runs of a workspace from another process.</summary>
public static class RunControlCommands
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>How long <c>loom cancel</c> waits for the run's loom to finish its cancelled run (always() steps run first).</summary>
    private static readonly TimeSpan CancelPatience = TimeSpan.FromSeconds(60);

    /// <summary>
    /// SIGTERM to the <c>loom</c> that runs RUN (the process that holds the run's lock and has it open), then waits until
    /// it lets go of the lock: the run is journaled as cancelled, as when that loom gets SIGTERM from anywhere.
    /// </summary>
    public static async Task<int> CancelAsync(string[] args)
    {
        var line = CommandLine.Parse(args, new HashSet<string>(), new HashSet<string> { "--file" });
        var runId = line.File ?? throw new UsageException("loom cancel needs the run to cancel (see 'loom runs')");
        var workspace = WorkspaceOf(line);
        if (runId == "latest")
            runId = (await RunHistory.RunsAsync(workspace)).FirstOrDefault()?.RunId ?? throw new UsageException($"no run recorded in {RunHistory.JournalPath(workspace)} yet");
        var (pid, error) = await SignalCancelAsync(workspace, runId, async () => await RunHistory.RunsAsync(workspace));
        if (error is not null)
            throw new UsageException(error);
        if (pid is null)
            return ExitCodes.Success;
        if (pid == -1)
        {
            Console.Error.WriteLine($"loom: error: {Unidentified(workspace, runId)}");
            return ExitCodes.Failure;
        }
        Console.Out.WriteLine($"cancelling run {runId} (pid {pid})");
        var deadline = DateTime.UtcNow + CancelPatience;
        while (RunLock.IsHeld(workspace, runId))
        {
            if (DateTime.UtcNow > deadline)
            {
                Console.Error.WriteLine($"loom: error: run {runId} (pid {pid}) did not stop within {CancelPatience.TotalSeconds:0}s; its always() steps may still be running");
                return ExitCodes.Failure;
            }
            await Task.Delay(PollInterval);
        }
        var result = (await RunHistory.RunsAsync(workspace)).FirstOrDefault(r => r.RunId == runId)?.Result;
        Console.Out.WriteLine($"run {runId} {(result is { } r ? r.ToWire() : "stopped before it started")}");
        return ExitCodes.Success;
    }

    /// <summary>
    /// <c>loom cancel</c>'s rule, for the web view too: SIGTERM to the <c>loom</c> that holds the run's lock. Its pid; null when
    /// the run ended meanwhile; -1 when the holder cannot be identified (<see cref="Unidentified"/>); or why the run cannot
    /// be cancelled (no such run, finished, interrupted), as <c>loom cancel</c> says it.
    /// </summary>
    /// <param name="runs">The workspace's runs (read only when the run is not going on).</param>
    internal static async Task<(int? Pid, string? Error)> SignalCancelAsync(string workspace, string runId, Func<Task<IReadOnlyList<Loom.Actors.Persistence.RunSummary>>> runs)
    {
        if (!RunLock.IsHeld(workspace, runId))
            return (null, NotRunning(runId, await runs(), workspace));
        var pid = await HolderAsync(workspace, runId);
        if (pid is null)
            return (RunLock.IsHeld(workspace, runId) ? -1 : null, null);
        ProcessTree.Terminate(pid.Value);
        return (pid, null);
    }

    internal static string Unidentified(string workspace, string runId) =>
        $"run {runId} is held by a process that could not be identified (no pid in {Path.Combine(RunLock.FolderOf(workspace, runId), "owner")} holds its lock)";

    /// <summary>Deletes finished and interrupted runs: their journal events, snapshots and <c>.loom/runs/&lt;id&gt;</c> folders.</summary>
    public static async Task<int> PruneAsync(string[] args)
    {
        var line = CommandLine.Parse(args, new HashSet<string>(), new HashSet<string> { "--file", "--keep", "--older-than" });
        if (line.File is { } extra)
            throw new UsageException($"unexpected argument '{extra}' (loom prune --keep N | --older-than AGE)");
        int? keep = line.Value("--keep") is { } count
            ? int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw new UsageException($"--keep needs a whole number, not '{count}'")
            : null;
        var olderThan = line.Value("--older-than") is { } age ? PrunePlanner.ParseAge(age) : (TimeSpan?)null;
        if (keep is null && olderThan is null)
            throw new UsageException("loom prune needs --keep N or --older-than AGE (or both)");
        var workspace = WorkspaceOf(line);
        if (!RunHistory.Exists(workspace))
        {
            Console.Out.WriteLine("nothing to prune");
            return ExitCodes.Success;
        }
        await using var loom = await EmbeddedLoom.StartHistoryAsync(workspace);
        var journal = loom.History();
        var doomed = PrunePlanner.Select(await journal.RunsAsync(), keep, olderThan, DateTimeOffset.UtcNow, id => RunLock.IsHeld(workspace, id));
        var removed = 0;
        foreach (var run in doomed)
        {
            // Held while the run goes: a 'loom run --resume' of it cannot start meanwhile.
            using var runLock = RunLock.TryAcquire(workspace, run.RunId, out _);
            if (runLock is null)
                continue;
            await journal.DeleteAsync(run.RunId, EmbeddedLoom.Persistence(workspace), TimeSpan.FromSeconds(30));
            Directory.Delete(RunLock.FolderOf(workspace, run.RunId), recursive: true);
            removed++;
            Console.Out.WriteLine($"removed run {run.RunId} ({run.Workflow}, {run.Result?.ToWire() ?? "unfinished"}, started {run.StartedAt.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)})");
        }
        if (removed == 0)
            Console.Out.WriteLine("nothing to prune");
        return ExitCodes.Success;
    }

    /// <summary>The run's holder; the owner file is written just after the lock is taken, so a moment is allowed for it.</summary>
    private static async Task<int?> HolderAsync(string workspace, string runId)
    {
        for (var tries = 0; tries < 20; tries++)
        {
            if (RunLock.Holder(workspace, runId) is { } pid)
                return pid;
            if (!RunLock.IsHeld(workspace, runId))
                return null;
            await Task.Delay(PollInterval);
        }
        return null;
    }

    internal static string NotRunning(string runId, IReadOnlyList<Loom.Actors.Persistence.RunSummary> runs, string workspace)
    {
        var run = runs.FirstOrDefault(r => r.RunId == runId);
        return run switch
        {
            null => $"no run '{runId}' in {RunHistory.JournalPath(workspace)} (see 'loom runs')",
            { Result: { } result } => $"run {runId} already finished ({result.ToWire()})",
            _ => $"run {runId} is not running: its loom stopped before the run finished ('loom run --resume {runId}' goes on with it)",
        };
    }

    private static string WorkspaceOf(CommandLine line) =>
        RunCommand.Workspace(Path.GetFullPath(line.Value("--file") ?? WorkflowFiles.DefaultName));
}
