using Loom.Actors.Hosting;
using Loom.Actors.Persistence;
using Loom.Actors.Protocol;
using Loom.Cli.Output;

namespace Loom.Cli.History;

/// <summary>
/// The runs of a workspace, read back from its journal (<c>.loom/journal.db</c>) through
/// Akka.Persistence.Query on a small actor system that holds only the journal: no side file.
/// </summary>
public static class RunHistory
{
    public static string JournalPath(string workspace) => Path.Combine(EmbeddedLoom.JournalFolder(workspace), LoomPersistenceOptions.JournalFile);

    /// <summary>Whether any run was ever journaled here; reading never creates the journal.</summary>
    public static bool Exists(string workspace) => File.Exists(JournalPath(workspace));

    /// <summary>Every run, newest first; empty when nothing was recorded.</summary>
    public static async Task<IReadOnlyList<RunSummary>> RunsAsync(string workspace)
    {
        if (!Exists(workspace))
            return [];
        await using var loom = await EmbeddedLoom.StartHistoryAsync(workspace);
        return await loom.History().RunsAsync();
    }

    /// <summary>One run's events folded into what the summary shows; null when there is no such run.</summary>
    /// <param name="runId">A run id, or null for the newest run.</param>
    public static async Task<(RunSummary Run, RunTally Tally, RunEvents.RunDefined? Defined)?> LoadAsync(string workspace, string? runId)
    {
        if (!Exists(workspace))
            return null;
        await using var loom = await EmbeddedLoom.StartHistoryAsync(workspace);
        var journal = loom.History();
        var runs = await journal.RunsAsync();
        var run = runId is null ? runs.FirstOrDefault() : runs.FirstOrDefault(r => r.RunId == runId);
        if (run is null)
            return null;
        var (tally, defined) = Fold(await journal.EventsAsync(run.RunId));
        return (run, tally, defined);
    }

    /// <summary>A run's events folded into what the summary shows, and its definition.</summary>
    public static (RunTally Tally, RunEvents.RunDefined? Defined) Fold(IEnumerable<IRunEvent> events)
    {
        var tally = new RunTally();
        RunEvents.RunDefined? defined = null;
        foreach (var e in events)
        {
            if (e is IRunNotification notification)
                tally.Apply(notification);
            else if (e is RunEvents.RunDefined definition)
                defined = definition;
        }
        return (tally, defined);
    }
}
