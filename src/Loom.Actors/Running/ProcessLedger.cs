using System.Globalization;
using System.Text;
using Loom.Actors.Execution;
using Microsoft.Win32.SafeHandles;

namespace Loom.Actors.Running;

/// <summary>
/// A local run's list of every step process it started (<c>runs/&lt;run&gt;/processes</c> beside the SQLite journal):
/// one line per process, written right after the spawn, before the journal has recorded it. A <c>loom</c> killed at any
/// moment after that leaves the process findable, so <c>loom run --resume</c> kills what is left of it and records its
/// attempt even when the journal's last events (the job's start, the step's pid) were lost with the process. That is
/// what lets the journal gather a few milliseconds of events into one transaction.
/// </summary>
/// <remarks>
/// A line is <c>attempt pid start-ticks unit-id</c>, the unit id escaped as a URI component; a torn last line is ignored.
/// The file is mapped (shared) and lines are copied into the mapping: the page cache holds them at once, as a
/// <c>write</c> would, and a <c>kill -9</c> cannot take them back, without the ~20 us of a file write per step (ext4,
/// docs/benchmarks.md). It grows in 64 KiB steps, allocated on disk before they are mapped (a full disk then fails the
/// growth, not a write into the mapping, which would kill loom with SIGBUS), NUL-filled past the last line until the
/// ledger is closed. Where the file cannot be so grown or mapped, each line is written.
/// </remarks>
public sealed unsafe class ProcessLedger : IDisposable
{
    public const string FileName = "processes";

    private const long Growth = 64 * 1024;

    private readonly object gate = new();
    private readonly SafeFileHandle file;
    private long length;
    private byte* mapping;
    private long capacity;
    private bool mappable = true;
    private bool grown;

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
        var file = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        try
        {
            // Appends after the last whole line: a killed loom may have left its mapping's NULs or a torn line after it.
            var content = new byte[RandomAccess.GetLength(file)];
            var read = 0;
            while (read < content.Length && RandomAccess.Read(file, content.AsSpan(read), read) is var n and > 0)
                read += n;
            var end = content.AsSpan(0, read).LastIndexOf((byte)'\n') + 1;
            if (end < read)
                RandomAccess.Write(file, new byte[read - end], end);
            return new ProcessLedger(file, end);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Records that attempt <paramref name="attempt"/> of unit <paramref name="unitId"/> started <paramref name="process"/>; safe from any thread.</summary>
    public void Record(string unitId, int attempt, ProcessIdentity process)
    {
        var line = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"{attempt} {process.Pid} {process.StartTimeTicks} {Uri.EscapeDataString(unitId)}\n"));
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(file.IsClosed, this);
            if (Room(line.Length))
                line.CopyTo(new Span<byte>(mapping + length, line.Length));
            else
                RandomAccess.Write(file, line, length);
            length += line.Length;
        }
    }

    /// <summary>Whether the mapping (grown if need be) has room for <paramref name="bytes"/> more; false where the file cannot be mapped.</summary>
    private bool Room(int bytes)
    {
        if (length + bytes <= capacity)
            return true;
        if (!mappable)
            return false;
        Unmap();
        var size = (length + bytes + Growth) / Growth * Growth;
        var fd = (int)file.DangerousGetHandle();
        if (Libc.fallocate(fd, 0, 0, size) != 0)
        {
            mappable = false;
            return false;
        }
        grown = true;
        var mapped = Libc.mmap(null, (nuint)size, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, fd, 0);
        if (mapped == (void*)Libc.MAP_FAILED)
        {
            mappable = false;
            return false;
        }
        mapping = (byte*)mapped;
        capacity = size;
        return true;
    }

    private void Unmap()
    {
        if (mapping is null)
            return;
        Libc.munmap(mapping, (nuint)capacity);
        mapping = null;
        capacity = 0;
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

    /// <summary>Unmaps the file and cuts off the mapping's NULs past the last line.</summary>
    public void Dispose()
    {
        lock (gate)
        {
            if (file.IsClosed)
                return;
            Unmap();
            if (grown)
                Libc.ftruncate((int)file.DangerousGetHandle(), length);
            file.Dispose();
        }
    }

    public sealed record Entry(string UnitId, int Attempt, ProcessIdentity Process);
}
