using System.Diagnostics;
using System.Globalization;
using System.Text;
using Loom.Actors.Execution;
using Microsoft.Win32.SafeHandles;

namespace Loom.Actors.Running;

/// <summary>
/// A local run's list of every step process it started (<c>runs/&lt;run&gt;/processes</c> beside the SQLite journal):
/// one line per process, on record before the journal has heard of it. A <c>loom</c> killed at any moment after the
/// step's exec leaves the process findable, so <c>loom run --resume</c> kills what is left of it and records its attempt
/// even when the journal's last events (the job's start, the step's pid) were lost with the process. That is what lets
/// the journal gather a few milliseconds of events into one transaction.
/// </summary>
/// <remarks>
/// A line is <c>attempt earliest pid latest unit-id</c>: the process started at a clock tick (/proc's start-time unit)
/// from <c>earliest</c> to <c>latest</c>, so a pid reused since is told apart; the unit id is escaped as a URI
/// component. A runner reserves the line before the spawn (<see cref="Reserve"/>) with <c>-</c> for the pid and latest
/// tick, and the vforked child writes them itself before its exec (loom_spawn.c): a loom killed while it waits to run
/// again after the spawn has the process on record all the same. Lines without a pid (a spawn under way, or one that
/// failed: <c>x</c>), and a torn last line, are ignored.
/// <para>
/// The file is mapped (shared) in 64 KiB chunks and lines are copied into the mapping: the page cache holds them at
/// once, as a <c>write</c> would, and a <c>kill -9</c> cannot take them back, without the ~20 us of a file write per step
/// (ext4, docs/benchmarks.md). A line never spans two chunks (the rest of a chunk is filled with newlines), and a chunk
/// stays mapped while a child may still write into it. Each chunk is allocated on disk before it is mapped (a full disk
/// then fails the growth, not a write into the mapping, which would kill loom with SIGBUS) and is NUL-filled past the
/// last line until the ledger is closed. Where the file cannot be so grown or mapped, each line is written after the
/// spawn.
/// </para>
/// </remarks>
public sealed unsafe class ProcessLedger : IDisposable
{
    public const string FileName = "processes";

    // The start record's layout, as loom_spawn.c writes it.
    private const int PidDigits = 10;
    private const int TicksDigits = 19;
    private const int StartRecordBytes = PidDigits + 1 + TicksDigits;
    private static readonly string Reserved = new('-', PidDigits);
    // The pid of a line whose spawn failed: nothing will ever fill it in.
    private const byte NoProcess = (byte)'x';

    private const int Chunk = 64 * 1024;

    private readonly object gate = new();
    private readonly SafeFileHandle file;
    private long length;
    private byte* chunk;
    private long chunkOffset;
    // Chunks left behind while a reservation still pointed into them; unmapped once none does.
    private readonly List<nint> passed = [];
    private int reservations;
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
    public void Record(string unitId, int attempt, ProcessIdentity process) =>
        Append(Line(unitId, attempt, process.StartTimeTicks, process));

    /// <summary>
    /// Reserves the line of a process that attempt <paramref name="attempt"/> of unit <paramref name="unitId"/> is about to
    /// start: pass its <see cref="Reservation.StartRecord"/> to the spawn (<see cref="StepLaunch.StartRecord"/>) and
    /// <see cref="Reservation.Complete"/> it after. Safe from any thread.
    /// </summary>
    public Reservation Reserve(string unitId, int attempt)
    {
        var line = Line(unitId, attempt, ProcessTree.BootTicks(), null);
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(file.IsClosed, this);
            var at = Place(line.Length);
            if (at is null)
                return new Reservation(this, unitId, attempt, null);
            line.CopyTo(new Span<byte>(at, line.Length));
            length += line.Length;
            reservations++;
            return new Reservation(this, unitId, attempt, at + StartRecordOffset(attempt));
        }
    }

    private static byte[] Line(string unitId, int attempt, long earliest, ProcessIdentity? process)
    {
        var pid = process is { } p ? p.Pid.ToString("D" + PidDigits, CultureInfo.InvariantCulture) : Reserved;
        var latest = process is { } q ? q.StartTimeTicks.ToString("D" + TicksDigits, CultureInfo.InvariantCulture) : new string('-', TicksDigits);
        return Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"{attempt} {earliest.ToString("D" + TicksDigits, CultureInfo.InvariantCulture)} {pid} {latest} {Uri.EscapeDataString(unitId)}\n"));
    }

    private static int StartRecordOffset(int attempt) => attempt.ToString(CultureInfo.InvariantCulture).Length + 1 + TicksDigits + 1;

    private void Append(byte[] line)
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(file.IsClosed, this);
            var at = Place(line.Length);
            if (at is not null)
                line.CopyTo(new Span<byte>(at, line.Length));
            else
                RandomAccess.Write(file, line, length);
            length += line.Length;
        }
    }

    /// <summary>Where in the mapping a line of <paramref name="bytes"/> goes (mapping the next chunk if need be); null: write it.</summary>
    private byte* Place(int bytes)
    {
        if (!mappable || bytes > Chunk)
            return null;
        while (true)
        {
            if (chunk is null && !MapChunkAt(length))
                return null;
            if (length + bytes <= chunkOffset + Chunk)
                return chunk + (length - chunkOffset);
            new Span<byte>(chunk + (length - chunkOffset), (int)(chunkOffset + Chunk - length)).Fill((byte)'\n');
            length = chunkOffset + Chunk;
            passed.Add((nint)chunk);
            chunk = null;
            UnmapPassedUnlessReserved();
        }
    }

    private bool MapChunkAt(long offset)
    {
        var start = offset / Chunk * Chunk;
        var fd = (int)file.DangerousGetHandle();
        if (Libc.fallocate(fd, 0, start, Chunk) != 0)
        {
            mappable = false;
            return false;
        }
        grown = true;
        var mapped = Libc.mmap(null, Chunk, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, fd, start);
        if (mapped == (void*)Libc.MAP_FAILED)
        {
            mappable = false;
            return false;
        }
        chunk = (byte*)mapped;
        chunkOffset = start;
        return true;
    }

    private void UnmapPassedUnlessReserved()
    {
        if (reservations > 0)
            return;
        foreach (var passedChunk in passed)
            Libc.munmap((void*)passedChunk, Chunk);
        passed.Clear();
    }

    private void Complete(Reservation reservation, ProcessIdentity? process)
    {
        lock (gate)
        {
            if (reservation.StartRecord == 0)
            {
                if (process is { } started)
                    Record(reservation.UnitId, reservation.Attempt, started);
                return;
            }
            var record = new Span<byte>((void*)reservation.StartRecord, StartRecordBytes);
            if (process is not { } p)
                record[..PidDigits].Fill(NoProcess);
            // Unless the child wrote it (posix_spawn's children do not): the tick, then the pid, which makes it whole.
            else if (!(int.TryParse(record[..PidDigits], CultureInfo.InvariantCulture, out var pid) && pid == p.Pid))
            {
                Encoding.ASCII.GetBytes(p.StartTimeTicks.ToString("D" + TicksDigits, CultureInfo.InvariantCulture), record[(PidDigits + 1)..]);
                Encoding.ASCII.GetBytes(p.Pid.ToString("D" + PidDigits, CultureInfo.InvariantCulture), record[..PidDigits]);
            }
            if (--reservations == 0)
                UnmapPassedUnlessReserved();
        }
    }

    /// <summary>Every complete line of the ledger at <paramref name="path"/> that names a process, in the order written; none when there is no file.</summary>
    public static IReadOnlyList<Entry> Read(string path) => Read(path, TimeSpan.Zero);

    /// <param name="settle">How long to read again while a line is reserved and not filled in yet: a spawn begun by a process
    /// killed a moment ago may still be under way, its child about to write its pid (a line whose spawn failed is marked so).</param>
    public static IReadOnlyList<Entry> Read(string path, TimeSpan settle)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(settle.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            var entries = Parse(path, out var spawning);
            if (!spawning || Stopwatch.GetTimestamp() >= deadline)
                return entries;
            Thread.Sleep(1);
        }
    }

    private static List<Entry> Parse(string path, out bool spawning)
    {
        spawning = false;
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
            // Before the start record, a line was "attempt pid start unit-id" (a ledger of a run killed before an upgrade).
            if (fields.Length == 4)
                fields = [fields[0], fields[2], fields[1], fields[2], fields[3]];
            if (fields.Length != 5 || !int.TryParse(fields[0], CultureInfo.InvariantCulture, out var attempt)
                || !long.TryParse(fields[1], CultureInfo.InvariantCulture, out var earliest))
                continue;
            if (int.TryParse(fields[2], CultureInfo.InvariantCulture, out var pid) && long.TryParse(fields[3], CultureInfo.InvariantCulture, out var latest))
                entries.Add(new Entry(Uri.UnescapeDataString(fields[4]), attempt, new ProcessIdentity(pid, earliest), latest));
            else
                spawning |= fields[2] == Reserved;
        }
        return entries;
    }

    /// <summary>Unmaps the file and cuts off the mapping's NULs past the last line (unless a child may still write into it).</summary>
    public void Dispose()
    {
        lock (gate)
        {
            if (file.IsClosed)
                return;
            if (chunk is not null)
                passed.Add((nint)chunk);
            chunk = null;
            // With a spawn under way, its chunk stays mapped until it completes, and the NULs stay (Open skips them).
            UnmapPassedUnlessReserved();
            if (grown && reservations == 0)
                Libc.ftruncate((int)file.DangerousGetHandle(), length);
            file.Dispose();
        }
    }

    /// <summary>A line of the ledger: attempt <paramref name="Attempt"/> of <paramref name="UnitId"/> started its
    /// <paramref name="Process"/> at a tick from the identity's start time up to <paramref name="LatestStartTicks"/>.</summary>
    public sealed record Entry(string UnitId, int Attempt, ProcessIdentity Process, long LatestStartTicks)
    {
        /// <summary>Whether <paramref name="process"/> (an exact identity) is the process of this line.</summary>
        public bool Names(ProcessIdentity process) =>
            process.Pid == Process.Pid && process.StartTimeTicks >= Process.StartTimeTicks && process.StartTimeTicks <= LatestStartTicks;
    }

    /// <summary>A line reserved for a process about to start (<see cref="Reserve"/>).</summary>
    public sealed class Reservation
    {
        private readonly ProcessLedger ledger;
        private bool completed;

        internal Reservation(ProcessLedger ledger, string unitId, int attempt, byte* startRecord)
        {
            this.ledger = ledger;
            UnitId = unitId;
            Attempt = attempt;
            StartRecord = (nint)startRecord;
        }

        internal string UnitId { get; }

        internal int Attempt { get; }

        /// <summary>Where the child writes its pid and start (loom_spawn.c); zero where the ledger is not mapped.</summary>
        public nint StartRecord { get; }

        /// <summary>Records <paramref name="process"/> unless its child already did; null when none started. Once.</summary>
        public void Complete(ProcessIdentity? process)
        {
            if (completed)
                return;
            completed = true;
            ledger.Complete(this, process);
        }
    }
}
