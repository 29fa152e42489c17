using System.Globalization;
using System.Text;
using Loom.Actors.Execution;
using Microsoft.Win32.SafeHandles;

namespace Loom.Actors.Running;

/// <summary>
/// A local run's list of every step process it started (<c>runs/&lt;run&gt;/processes</c> beside the SQLite journal):
/// one line per process, written with one <c>write</c> right after the spawn, before the journal has recorded it. A
/// <c>loom</c> killed at any moment after that leaves the process findable, so <c>loom run --resume</c> kills what is
/// left of it and records its attempt even when the journal's last events (the job's start, the step's pid) were lost
/// with the process. That is what lets the journal gather a few milliseconds of events into one transaction.
/// </summary>
/// <remarks>A line is <c>attempt pid start-ticks unit-id</c>, the unit id escaped as a URI component; a torn last line is ignored.</remarks>
public sealed class ProcessLedger : IDisposable
{
    public const string FileName = "processes";

    private readonly object gate = new();
    private readonly SafeFileHandle file;
    private long length;

    private ProcessLedger(SafeFileHandle file, long length)
    {
        this.file = file;
        this.length = length;
    }

    /// <summary>The ledger of run <paramref name="runId"/> in the journal's folder <paramref name="stateFolder"/>.</summary>
    public static string PathOf(string stateFolder, string runId) => Path.Combine(stateFolder, "runs", runId, FileName);

    /// <summary>Opens (or creates) the ledger at <paramref name="path"/> to append to it.</summary>
    public static ProcessLedger Open(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var file = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        return new ProcessLedger(file, RandomAccess.GetLength(file));
    }

    /// <summary>Records that attempt <paramref name="attempt"/> of unit <paramref name="unitId"/> started <paramref name="process"/>; safe from any thread.</summary>
    public void Record(string unitId, int attempt, ProcessIdentity process)
    {
        var line = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"{attempt} {process.Pid} {process.StartTimeTicks} {Uri.EscapeDataString(unitId)}\n"));
        lock (gate)
        {
            RandomAccess.Write(file, line, length);
            length += line.Length;
        }
    }

    /// <summary>Every complete line of the ledger at <paramref name="path"/>, in the order written; none when there is no file.</summary>
    public static IReadOnlyList<Entry> Read(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return [];
        }
        var entries = new List<Entry>();
        var end = text.LastIndexOf('\n');
        foreach (var line in text[..(end + 1)].Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split(' ');
            if (fields.Length == 4 && int.TryParse(fields[0], CultureInfo.InvariantCulture, out var attempt)
                && int.TryParse(fields[1], CultureInfo.InvariantCulture, out var pid) && long.TryParse(fields[2], CultureInfo.InvariantCulture, out var start))
                entries.Add(new Entry(Uri.UnescapeDataString(fields[3]), attempt, new ProcessIdentity(pid, start)));
        }
        return entries;
    }

    public void Dispose() => file.Dispose();

    public sealed record Entry(string UnitId, int Attempt, ProcessIdentity Process);
}
