using System.Diagnostics;
using Loom.Actors.Scheduling;
using Loom.Cluster.Storage;
using Npgsql;
using Xunit.Abstractions;

namespace Loom.Cluster.Tests.Storage;

/// <summary><see cref="PostgresStepLogSink"/> on a real PostgreSQL: a scheduler's side of the central step logs.</summary>
public sealed class StepLogSinkTests(ITestOutputHelper output) : IAsyncLifetime
{
    private TestSchema schema = null!;
    private PostgresStepLogStore store = null!;
    private readonly RecordingLog log = new();

    public async Task InitializeAsync()
    {
        schema = await TestSchema.CreateAsync();
        store = new PostgresStepLogStore(schema.DataSource, maxUnitBytes: 100);
    }

    public Task DisposeAsync() => schema.DisposeAsync().AsTask();

    private async Task<List<string>> Read(string run = "run-1", string? unit = null, int? attempt = null, PostgresStepLogStore? from = null)
    {
        var lines = new List<string>();
        await foreach (var entry in (from ?? store).ReadAsync(run, unit, attempt))
            lines.Add(entry.Line);
        return lines;
    }

    [PostgresFact]
    public async Task Lines_come_back_in_order_across_flushes_and_batches()
    {
        var unlimited = new PostgresStepLogStore(schema.DataSource);
        var sink = new PostgresStepLogSink(unlimited, "run-1", log);
        var expected = new List<string>();
        var steps = new Dictionary<string, int>();
        for (var i = 0; i < 5000; i++)
        {
            var unit = $"job-{i % 3}";
            var step = i / 1000;
            if (steps.GetValueOrDefault(unit, -1) != step)
                expected.Add(RunLogFiles.Header(step, $"step {step}"));
            steps[unit] = step;
            expected.Add($"{unit} line {i}");
            sink.Write(unit, 1, step, $"step {step}", $"{unit} line {i}");
            // Flushes while earlier batches are in flight: they chain, never overlap.
            if (i % 7 == 0)
                sink.Flush();
        }
        await sink.CloseAllAsync();

        var entries = await unlimited.ReadAfterAsync("run-1", 0, limit: 100_000);
        Assert.Equal(expected, entries.Select(e => e.Line));
        Assert.Equal(0, sink.Dropped);
        Assert.Equal(0, sink.BufferedBytes);
        Assert.Empty(log.Warnings);
    }

    [PostgresFact]
    public async Task Close_ends_the_attempt_after_its_lines_with_the_truncation_line_when_capped()
    {
        var sink = new PostgresStepLogSink(store, "run-1", log);
        // 100 bytes: the header (15 + 1), then four 19-byte lines; six more are counted.
        for (var i = 0; i < 10; i++)
            sink.Write("build", 1, 0, "step 0", $"line {i:D2} 0123456789");
        sink.Write("test", 1, 0, "step 0", "still open");
        sink.Close("build");
        sink.Flush();
        await sink.Idle;

        Assert.Equal(
            ["::step 1 step 0", "line 00 0123456789", "line 01 0123456789", "line 02 0123456789", "line 03 0123456789",
             RunLogFiles.TruncationLine(100, 6)],
            await Read(unit: "build"));
        Assert.Equal(["::step 1 step 0", "still open"], await Read(unit: "test"));

        // A later attempt of the same unit is a log of its own.
        sink.Write("build", 2, 0, "step 0", "retry");
        await sink.CloseAllAsync();
        Assert.Equal(["::step 1 step 0", "retry"], await Read(unit: "build", attempt: 2));
    }

    [PostgresTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_new_attempt_in_the_same_batch_keeps_the_previous_attempts_lines_and_closes_it(bool closedFirst)
    {
        // No flush between the attempts: the sink must not hand the store two attempts of a unit in one batch.
        var sink = new PostgresStepLogSink(store, "run-1", log);
        for (var i = 0; i < 8; i++)
            sink.Write("build", 1, 0, "step 0", $"line {i:D2} 0123456789");
        if (closedFirst)
            sink.Close("build"); // the job's end, then its retry at once
        sink.Write("build", 2, 0, "step 0", "retry");
        await sink.CloseAllAsync();

        Assert.Equal(
            ["::step 1 step 0", "line 00 0123456789", "line 01 0123456789", "line 02 0123456789", "line 03 0123456789",
             RunLogFiles.TruncationLine(100, 4)],
            await Read(unit: "build", attempt: 1));
        Assert.Equal(["::step 1 step 0", "retry"], await Read(unit: "build", attempt: 2));
    }

    [PostgresFact]
    public async Task CloseAllAsync_completes_only_once_every_line_is_readable()
    {
        var unlimited = new PostgresStepLogStore(schema.DataSource);
        var sink = new PostgresStepLogSink(unlimited, "run-1", log);
        for (var i = 0; i < 20_000; i++)
            sink.Write($"job-{i % 4}", 1, 0, "build", $"line {i}");
        var capped = new PostgresStepLogSink(store, "run-1", log);
        for (var i = 0; i < 10; i++)
            capped.Write("capped", 1, 0, "step 0", $"line {i:D2} 0123456789");

        var closed = sink.CloseAllAsync();
        var cappedClosed = capped.CloseAllAsync();
        Assert.False(closed.IsCompleted); // the store works on pool threads, never on the caller's
        await closed;
        await cappedClosed;

        Assert.Equal(20_000 + 4, await schema.ScalarAsync<long>("SELECT count(*) FROM loom_step_logs WHERE unit_id LIKE 'job-%'"));
        Assert.Equal(RunLogFiles.TruncationLine(100, 6), (await Read(unit: "capped"))[^1]);
    }

    [PostgresFact]
    public async Task A_line_written_while_a_close_waits_behind_a_batch_is_stored_once()
    {
        var sink = new PostgresStepLogSink(store, "run-1", log);
        sink.Write("a", 1, 0, "step 0", "a's line");
        sink.Flush();
        await sink.Idle;
        // The store is held (as a slow one is): a's next batch waits, and the close of a, with no lines, waits behind it.
        await using var holder = await schema.DataSource.OpenConnectionAsync();
        await using var hold = await holder.BeginTransactionAsync();
        await using (var lockTable = new NpgsqlCommand("LOCK TABLE loom_step_logs IN ACCESS EXCLUSIVE MODE", holder, hold))
            await lockTable.ExecuteNonQueryAsync();
        sink.Write("a", 1, 0, "step 0", "a's last");
        sink.Flush();
        sink.Close("a");
        sink.Flush();
        sink.Write("c", 1, 0, "echo done", "done");
        await hold.RollbackAsync();
        await sink.CloseAllAsync();

        Assert.Equal(["::step 1 echo done", "done"], await Read(unit: "c"));
        Assert.Equal(["::step 1 step 0", "a's line", "a's last"], await Read(unit: "a"));
    }

    [PostgresFact]
    public async Task A_dropped_table_loses_its_batches_with_a_warning_and_later_batches_are_stored_again()
    {
        var sink = new PostgresStepLogSink(store, "run-1", log);
        sink.Write("build", 1, 0, "step 0", "before");
        sink.Flush();
        await sink.Idle;
        await schema.ScalarAsync<object?>("DROP TABLE loom_step_logs");

        sink.Write("build", 1, 0, "step 0", "lost 1");
        sink.Flush();
        sink.Write("build", 1, 0, "step 0", "lost 2");
        sink.Flush();
        await sink.Idle;
        Assert.Equal(2, sink.Lost);
        Assert.Single(log.Warnings, w => w.Contains("could not be stored", StringComparison.Ordinal) && w.Contains("loom_step_logs", StringComparison.Ordinal));

        var recreated = new PostgresStepLogStore(schema.DataSource); // creates the table again
        await recreated.ReadAfterAsync("run-1", 0);
        sink.Write("build", 1, 0, "step 0", "after");
        await sink.CloseAllAsync();

        Assert.Equal(["after"], await Read());
        Assert.Contains(log.Entries, e => e.Message.Contains("stored again", StringComparison.Ordinal));
    }

    [PostgresFact]
    public async Task A_store_slower_than_the_steps_holds_the_buffer_to_its_bound_and_marks_what_it_dropped()
    {
        var unlimited = new PostgresStepLogStore(schema.DataSource);
        await unlimited.ReadAfterAsync("run-1", 0); // the table exists
        const long bound = 64 * 1024;
        var sink = new PostgresStepLogSink(unlimited, "run-1", log, maxBufferedBytes: bound);

        long written = 0;
        await using (var blocker = await schema.DataSource.OpenConnectionAsync())
        {
            await using var transaction = await blocker.BeginTransactionAsync();
            await using (var lockTable = new NpgsqlCommand("LOCK TABLE loom_step_logs IN ACCESS EXCLUSIVE MODE", blocker, transaction))
                await lockTable.ExecuteNonQueryAsync();
            for (var i = 0; i < 2000; i++)
            {
                sink.Write("build", 1, 0, "make", $"line {i:D4} of a build that prints faster than the store takes it");
                written++;
                if (i % 100 == 0)
                    sink.Flush(); // batches queue behind the blocked one
                Assert.True(sink.BufferedBytes <= bound);
            }
            Assert.True(sink.Dropped > 0);
            Assert.False(sink.Idle.IsCompleted);
            await transaction.RollbackAsync();
        }
        await sink.Idle;
        var droppedDuringLock = sink.Dropped;
        for (var i = 0; i < 3; i++, written++)
            sink.Write("build", 1, 0, "make", $"after {i}");
        await sink.CloseAllAsync();

        var lines = await Read(from: unlimited);
        var marker = Assert.Single(lines, l => l.StartsWith(PostgresStepLogSink.DroppedPrefix, StringComparison.Ordinal));
        Assert.Equal($"[loom] {droppedDuringLock} lines not stored: the step log store fell behind", marker);
        // The marker sits where the gap is: before the first line stored after it.
        Assert.Equal(["after 0", "after 1", "after 2"], lines[(lines.IndexOf(marker) + 1)..]);
        Assert.Equal(written, lines.Count(l => !l.StartsWith("::step", StringComparison.Ordinal) && l != marker) + droppedDuringLock);
        Assert.Equal(2, log.Warnings.Count(w => w.Contains("dropped", StringComparison.Ordinal))); // when it starts, and the total at the end
    }

    [PostgresFact]
    public async Task Dropped_lines_of_an_attempt_that_ends_are_marked_at_its_close()
    {
        var unlimited = new PostgresStepLogStore(schema.DataSource);
        await unlimited.ReadAfterAsync("run-1", 0);
        var sink = new PostgresStepLogSink(unlimited, "run-1", log, maxBufferedBytes: 4096);
        // Nothing flushed between the lines: the bound is reached with the store idle.
        for (var i = 0; i < 200; i++)
            sink.Write("build", 1, 0, "make", $"line {i:D4}");
        sink.Close("build");
        Assert.True(sink.Dropped > 0);
        await sink.CloseAllAsync();

        var lines = await Read(from: unlimited);
        Assert.Equal($"[loom] {sink.Dropped} lines not stored: the step log store fell behind", lines[^1]);
        Assert.Equal(200, lines.Count - 2 + sink.Dropped); // header and marker
    }

    [PostgresFact]
    public async Task Throughput()
    {
        var unlimited = new PostgresStepLogStore(schema.DataSource);
        var sink = new PostgresStepLogSink(unlimited, "run-1", log, maxBufferedBytes: 64L * 1024 * 1024);
        const int count = 200_000;
        var watch = Stopwatch.StartNew();
        var flushAt = watch.Elapsed;
        for (var i = 0; i < count; i++)
        {
            sink.Write($"job-{i % 8}", 1, 0, "build", $"{i:D8} some output of a step, some 60 characters long......");
            // The scheduler's 500 ms timer.
            if (watch.Elapsed - flushAt > TimeSpan.FromMilliseconds(500))
            {
                sink.Flush();
                flushAt = watch.Elapsed;
            }
        }
        var written = watch.Elapsed;
        await sink.CloseAllAsync();
        var stored = watch.Elapsed;

        output.WriteLine($"{count} lines: written in {written.TotalMilliseconds:F0} ms, all stored after {stored.TotalMilliseconds:F0} ms: {count / stored.TotalSeconds:F0} lines/s");
        Assert.Equal(0, sink.Dropped);
        Assert.Equal(count + 8L, await schema.ScalarAsync<long>("SELECT count(*) FROM loom_step_logs"));
    }
}

/// <summary><see cref="PostgresStepLogSink"/> without a server: what it does when there is none.</summary>
public sealed class StepLogSinkWithoutServerTests
{
    private readonly RecordingLog log = new();

    [Fact]
    public void A_run_that_printed_nothing_closes_at_once_without_the_store()
    {
        var sink = new PostgresStepLogSink(new PostgresStepLogStore(NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Database=none")), "run-1", log);
        sink.Flush();
        sink.Close("build");
        Assert.False(sink.Started);
        Assert.True(sink.CloseAllAsync().IsCompletedSuccessfully);
    }

    [Fact]
    public async Task An_unreachable_store_is_logged_and_never_thrown_to_the_scheduler()
    {
        await using var nowhere = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Username=loom;Database=none;Timeout=2");
        var sink = new PostgresStepLogSink(new PostgresStepLogStore(nowhere), "run-1", log);
        for (var i = 0; i < 100; i++)
            sink.Write("build", 1, 0, "step 0", $"line {i}");
        sink.Flush();
        sink.Write("build", 1, 0, "step 0", "last");
        sink.Close("build");

        await sink.CloseAllAsync(); // completes, does not throw

        Assert.Equal(101, sink.Lost);
        Assert.Equal(0, sink.BufferedBytes);
        Assert.Single(log.Warnings, w => w.Contains("could not be stored", StringComparison.Ordinal));
    }
}
