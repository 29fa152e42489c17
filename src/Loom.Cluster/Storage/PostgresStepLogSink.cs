using Akka.Event;
using Loom.Actors.Scheduling;

namespace Loom.Cluster.Storage;

/// <summary>
/// A run's step output on a cluster: the lines go to the central <see cref="PostgresStepLogStore"/>, so <c>loom logs</c>
/// works after the node that ran a job, or the node of the scheduler, is gone. Called on the scheduler's thread only
/// (<see cref="IStepLogSink"/>); nothing here blocks it.
/// <para>
/// <see cref="Write"/> appends the line to an in-memory buffer. <see cref="Flush"/> (the scheduler's 500 ms timer, or
/// <see cref="Write"/> itself once <see cref="BatchLines"/> lines wait and the store is idle, or <see cref="MaxBatchLines"/>
/// or a quarter of the bound wait) hands the whole buffer to
/// the store as one <see cref="PostgresStepLogStore.AppendAsync"/> batch, on a pool thread, chained after the previous
/// batch: a run never has two batches in flight, so seq follows the order of the lines. <see cref="Close"/> notes the
/// unit's attempt, which is closed after the next batch (so after its lines); <see cref="CloseAllAsync"/> sends what is
/// buffered, closes the run's attempts and completes when all of it is stored.
/// </para>
/// <para>
/// Bounded: lines buffered or in flight take at most <c>maxBufferedBytes</c> (their UTF-16 text plus
/// <see cref="LineOverheadBytes"/> each). When the store is slower than the steps, what does not fit is dropped and
/// counted: a warning is logged, and the unit's log gets a line <see cref="DroppedPrefix"/><c>N lines not stored ...</c>
/// where the gap is (before its next stored line) or, at the latest, when its attempt is closed. A batch the store fails
/// to take is logged (once per outage) and lost; later batches are tried again. Nothing is thrown into the scheduler.
/// </para>
/// </summary>
public sealed class PostgresStepLogSink : IStepLogSink
{
    /// <summary>The default bound of a run's buffered and in-flight lines: 16 MiB (some 200 000 short lines).</summary>
    public const long DefaultMaxBufferedBytes = 16 * 1024 * 1024;

    /// <summary>A batch goes out before the timer once this many lines wait and the previous batch is stored.</summary>
    public const int BatchLines = 2000;

    /// <summary>A batch goes out before the timer, queued behind the one in flight, once this many lines wait (bigger batches are no faster).</summary>
    public const int MaxBatchLines = 20_000;

    /// <summary>What a buffered line is counted for beside its text (the line's record and strings' headers).</summary>
    public const int LineOverheadBytes = 64;

    /// <summary>The start of the line that marks lines dropped because the store fell behind.</summary>
    public const string DroppedPrefix = "[loom] ";

    private readonly PostgresStepLogStore store;
    private readonly string runId;
    private readonly ILoggingAdapter log;
    private readonly long maxBufferedBytes;

    // Actor thread only.
    private List<StepLogLine> buffer = [];
    // Attempts closed since the last batch: closed after it.
    private readonly Dictionary<string, int> closing = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Unit> units = new(StringComparer.Ordinal);
    private Task tail = Task.CompletedTask;
    private long bufferBytes; // of buffer (not yet handed to the store)
    private long dropped;
    private long droppedReported;

    // Shared with the batches on pool threads.
    private long bufferedBytes;
    private long lostLines;
    private long failedBatches;

    public PostgresStepLogSink(PostgresStepLogStore store, string runId, ILoggingAdapter log, long maxBufferedBytes = DefaultMaxBufferedBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBufferedBytes, 1024);
        this.store = store;
        this.runId = runId;
        this.log = log;
        this.maxBufferedBytes = maxBufferedBytes;
    }

    public bool Started { get; private set; }

    /// <summary>Lines dropped so far because the store fell behind (not those above the per-attempt cap, which the store counts).</summary>
    public long Dropped => dropped;

    /// <summary>Lines lost so far because the store failed to take their batch.</summary>
    public long Lost => Interlocked.Read(ref lostLines);

    /// <summary>Bytes (as counted for the bound) of the lines buffered and in flight.</summary>
    public long BufferedBytes => Interlocked.Read(ref bufferedBytes);

    /// <summary>Completes when every batch handed to the store so far is done (tests).</summary>
    internal Task Idle => tail;

    public void Write(string unitId, int attempt, int step, string? title, string line)
    {
        Started = true;
        if (!units.TryGetValue(unitId, out var unit) || unit.Attempt != attempt)
        {
            // A new attempt closes the previous one (the store would too), with its drop marker if any.
            if (unit is not null)
                Close(unitId);
            // The store takes one attempt of a unit per batch (it drops an older attempt's lines as late): the
            // previous attempt's lines and close go first.
            if (closing.TryGetValue(unitId, out var closed) && closed != attempt)
                Flush();
            units[unitId] = unit = new Unit(attempt);
        }
        unit.Step = step;
        unit.Title = title;
        var size = SizeOf(line);
        if (Interlocked.Read(ref bufferedBytes) + size > maxBufferedBytes)
        {
            unit.Dropped++;
            // Once per run: the total is logged when the run's logs are closed.
            if (dropped++ == 0)
                log.Warning("Run {0}: the step log store is behind ({1:F1} MiB of lines waiting); step output is dropped while it catches up",
                    runId, maxBufferedBytes / (1024.0 * 1024));
            return;
        }
        if (unit.Dropped > 0)
            AddDropMarker(unitId, unit);
        Add(new StepLogLine(runId, unitId, attempt, step, title, line));
        // Early when the store is idle; and, when it is not, before one batch could take the whole bound (so the next
        // batch is ready as the previous one is stored, instead of lines being dropped while a huge one is).
        if (buffer.Count >= BatchLines && (tail.IsCompleted || buffer.Count >= MaxBatchLines || bufferBytes >= maxBufferedBytes / 4))
            Flush();
    }

    public void Flush() => Send(closeRun: false);

    public void Close(string unitId)
    {
        if (!units.Remove(unitId, out var unit))
            return;
        if (unit.Dropped > 0)
            AddDropMarker(unitId, unit);
        closing[unitId] = unit.Attempt;
    }

    public Task CloseAllAsync()
    {
        if (!Started)
            return Task.CompletedTask;
        foreach (var (unitId, unit) in units)
            if (unit.Dropped > 0)
                AddDropMarker(unitId, unit);
        units.Clear();
        closing.Clear(); // the run's close closes them all
        Send(closeRun: true);
        if (dropped > droppedReported)
        {
            droppedReported = dropped;
            log.Warning("Run {0}: {1} lines of step output were dropped because the step log store fell behind", runId, dropped);
        }
        return tail;
    }

    private static long SizeOf(string line) => (long)line.Length * sizeof(char) + LineOverheadBytes;

    private void Add(StepLogLine line)
    {
        // A marker may go beyond the bound by its own size: it is small, and losing it would hide the gap.
        var size = SizeOf(line.Line);
        Interlocked.Add(ref bufferedBytes, size);
        bufferBytes += size;
        buffer.Add(line);
    }

    private void AddDropMarker(string unitId, Unit unit)
    {
        var count = unit.Dropped;
        unit.Dropped = 0;
        Add(new StepLogLine(runId, unitId, unit.Attempt, unit.Step, unit.Title,
            $"{DroppedPrefix}{count} line{(count == 1 ? "" : "s")} not stored: the step log store fell behind"));
    }

    private void Send(bool closeRun)
    {
        if (buffer.Count == 0 && closing.Count == 0 && !closeRun)
            return;
        // A batch never shares the buffer's list: lines written while it waits behind the one in flight would go out
        // with it and again with the next.
        List<StepLogLine> batch = [];
        if (buffer.Count > 0)
            (batch, buffer) = (buffer, batch);
        bufferBytes = 0;
        var closes = closing.Count == 0 ? [] : closing.Select(c => (c.Key, c.Value)).ToArray();
        closing.Clear();
        // On a pool thread after the previous batch (never on the actor's thread, even when nothing is in flight).
        tail = tail.ContinueWith(_ => StoreAsync(batch, closes, closeRun), CancellationToken.None,
            TaskContinuationOptions.DenyChildAttach, TaskScheduler.Default).Unwrap();
    }

    private async Task StoreAsync(List<StepLogLine> batch, (string UnitId, int Attempt)[] closes, bool closeRun)
    {
        var size = 0L;
        foreach (var line in batch)
            size += SizeOf(line.Line);
        try
        {
            if (batch.Count > 0)
                await store.AppendAsync(batch);
            foreach (var (unitId, attempt) in closes)
                await store.CloseAsync(runId, unitId, attempt);
            if (closeRun)
                await store.CloseRunAsync(runId);
            if (failedBatches > 0)
            {
                log.Info("Run {0}: step logs are stored again; {1} lines were lost in {2} batches", runId, Interlocked.Read(ref lostLines), failedBatches);
                failedBatches = 0;
            }
        }
        catch (Exception e)
        {
            Interlocked.Add(ref lostLines, batch.Count);
            if (failedBatches++ == 0)
                log.Warning("Run {0}: step logs could not be stored ({1}: {2}); {3} lines lost, later ones are tried again",
                    runId, e.GetType().Name, e.Message, batch.Count);
            else if (closeRun)
                log.Warning("Run {0}: step logs could still not be stored at the run's end: {1} lines lost in all", runId, Interlocked.Read(ref lostLines));
        }
        finally
        {
            Interlocked.Add(ref bufferedBytes, -size);
        }
    }

    private sealed class Unit(int attempt)
    {
        public int Attempt { get; } = attempt;
        public int Step { get; set; }
        public string? Title { get; set; }
        public long Dropped { get; set; }
    }
}
