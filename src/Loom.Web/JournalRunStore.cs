using System.Text;
using Loom.Actors.Persistence;
using Loom.Actors.Protocol;
using Loom.Actors.Scheduling;

namespace Loom.Web;

/// <summary>
/// Runs read from a journal through Akka.Persistence.Query (<see cref="RunJournal"/>: a workspace's SQLite files, a
/// cluster's PostgreSQL), and step logs from files (<c>&lt;runs folder&gt;/&lt;run&gt;/logs</c>, <see cref="RunLogFiles"/>).
/// </summary>
/// <param name="isGoingOn">Whether an unfinished run is going on (a workspace: its lock is held).</param>
/// <param name="logsFolderOf">Where a run's logs are when its definition names no folder.</param>
public class JournalRunStore(RunJournal journal, Func<string, bool> isGoingOn, Func<string, string?> logsFolderOf) : IRunStore
{
    public Task<IReadOnlyList<RunSummary>> RunsAsync(CancellationToken cancellationToken) => journal.RunsAsync(cancellationToken);

    public async Task<IReadOnlyList<(long SequenceNr, IRunEvent Event)>> EventsAsync(string runId, long afterSequenceNr, long toSequenceNr, CancellationToken cancellationToken)
    {
        var events = await journal.EventsAfterAsync(runId, afterSequenceNr, cancellationToken).ConfigureAwait(false);
        return toSequenceNr == long.MaxValue ? events : events.Where(e => e.SequenceNr <= toSequenceNr).ToList();
    }

    public bool IsGoingOn(string runId) => isGoingOn(runId);

    public virtual Task<LogChunk> ReadLogAsync(string runId, string? logsFolder, string unitId, int attempt, long position, bool final, CancellationToken cancellationToken)
    {
        var folder = logsFolder ?? logsFolderOf(runId);
        if (folder is null)
            return Task.FromResult(new LogChunk([], position));
        return Task.FromResult(ReadFile(Path.Combine(folder, RunLogFiles.NameOf(unitId, attempt)), position, final));
    }

    /// <summary>The file's lines after byte <paramref name="position"/>: up to its last line end, or all of it when <paramref name="final"/>.</summary>
    public static LogChunk ReadFile(string path, long position, bool final)
    {
        byte[] bytes;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (stream.Length <= position)
                return new LogChunk([], position);
            stream.Position = position;
            // At most 4 MiB a read: a big log comes in parts.
            bytes = new byte[Math.Min(stream.Length - position, 4 * 1024 * 1024)];
            stream.ReadExactly(bytes);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            // The attempt printed nothing (yet).
            return new LogChunk([], position);
        }
        // Cut at the last line end, so that a character split across two writes is never decoded in halves.
        var end = Array.LastIndexOf(bytes, (byte)'\n') + 1;
        if (end == 0 && (final || bytes.Length == 4 * 1024 * 1024))
            end = bytes.Length;
        else if (final && bytes.Length < 4 * 1024 * 1024)
            end = bytes.Length;
        var text = Encoding.UTF8.GetString(bytes, 0, end);
        var lines = text.Split('\n').ToList();
        if (lines.Count > 0 && lines[^1].Length == 0)
            lines.RemoveAt(lines.Count - 1);
        return new LogChunk(lines, position + end);
    }
}
