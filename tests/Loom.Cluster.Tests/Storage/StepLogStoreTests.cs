using Loom.Actors.Scheduling;
using Loom.Cluster.Storage;

namespace Loom.Cluster.Tests.Storage;

/// <summary><see cref="PostgresStepLogStore"/> on a real PostgreSQL: the lines <see cref="RunLogWriter"/> would write to a file, kept centrally.</summary>
public sealed class StepLogStoreTests : IAsyncLifetime
{
    private TestSchema schema = null!;
    private PostgresStepLogStore store = null!;

    public async Task InitializeAsync()
    {
        schema = await TestSchema.CreateAsync();
        store = new PostgresStepLogStore(schema.DataSource, maxUnitBytes: 100);
    }

    public Task DisposeAsync() => schema.DisposeAsync().AsTask();

    private static StepLogLine Line(string unit, int step, string text, int attempt = 1, string run = "run-1") =>
        new(run, unit, attempt, step, $"step {step}", text);

    private async Task<List<string>> Read(string run = "run-1", string? unit = null, int? attempt = null)
    {
        var lines = new List<string>();
        await foreach (var entry in store.ReadAsync(run, unit, attempt))
            lines.Add(entry.Line);
        return lines;
    }

    [PostgresFact]
    public async Task Lines_come_back_in_order_with_a_header_before_each_step()
    {
        await store.AppendAsync([Line("build", 0, "a"), Line("test", 0, "x"), Line("build", 0, "b")]);
        await store.AppendAsync([Line("build", 1, "c"), Line("test", 0, "y")]);

        Assert.Equal(["::step 1 step 0", "a", "::step 1 step 0", "x", "b", "::step 2 step 1", "c", "y"], await Read());
        Assert.Equal(["::step 1 step 0", "a", "b", "::step 2 step 1", "c"], await Read(unit: "build"));
        Assert.Equal(["::step 1 step 0", "x", "y"], await Read(unit: "test", attempt: 1));
        Assert.Empty(await Read(unit: "test", attempt: 2));
    }

    [PostgresFact]
    public async Task Attempts_are_kept_apart_and_runs_do_not_mix()
    {
        await store.AppendAsync([Line("build", 0, "first try"), Line("build", 0, "other run", run: "run-2")]);
        await store.AppendAsync([Line("build", 0, "second try", attempt: 2)]);

        Assert.Equal(["::step 1 step 0", "first try"], await Read(unit: "build", attempt: 1));
        Assert.Equal(["::step 1 step 0", "second try"], await Read(unit: "build", attempt: 2));
        Assert.Equal(["::step 1 step 0", "other run"], await Read("run-2"));
    }

    [PostgresFact]
    public async Task Above_the_cap_lines_are_counted_and_one_truncation_line_ends_the_attempt()
    {
        // 100 bytes: the header (15 + 1), then 19-byte lines (18 + 1) while they fit: four.
        var lines = Enumerable.Range(0, 10).Select(i => Line("build", 0, $"line {i:D2} 0123456789")).ToList();
        await store.AppendAsync(lines[..3]);
        await store.AppendAsync([.. lines[3..], Line("build", 1, "short")]); // once full, a log stays full
        await store.AppendAsync([Line("test", 0, "not capped")]);
        await store.CloseAsync("run-1", "build", 1);
        await store.CloseAsync("run-1", "test", 1);

        Assert.Equal(
            ["::step 1 step 0", "line 00 0123456789", "line 01 0123456789", "line 02 0123456789", "line 03 0123456789",
             RunLogFiles.TruncationLine(100, 7)],
            await Read(unit: "build"));
        Assert.Equal(["::step 1 step 0", "not capped"], await Read(unit: "test"));
    }

    [PostgresFact]
    public async Task A_new_attempt_closes_the_previous_one_and_the_end_of_a_run_closes_all()
    {
        await store.AppendAsync(Enumerable.Range(0, 8).Select(i => Line("build", 0, $"line {i:D2} 0123456789")).ToList());
        await store.AppendAsync([Line("build", 0, "retry", attempt: 2)]);
        await store.AppendAsync(Enumerable.Range(0, 8).Select(i => Line("test", 0, $"line {i:D2} 0123456789")).ToList());
        await store.CloseRunAsync("run-1");

        Assert.Equal(RunLogFiles.TruncationLine(100, 4), (await Read(unit: "build", attempt: 1))[^1]);
        Assert.Equal(RunLogFiles.TruncationLine(100, 4), (await Read(unit: "test"))[^1]);
        Assert.Equal(["::step 1 step 0", "retry"], await Read(unit: "build", attempt: 2));
    }

    [PostgresFact]
    public async Task A_store_taking_over_keeps_the_cap_of_an_attempt_already_written()
    {
        await store.AppendAsync(Enumerable.Range(0, 3).Select(i => Line("build", 0, $"line {i:D2} 0123456789")).ToList());
        var successor = new PostgresStepLogStore(schema.DataSource, maxUnitBytes: 100); // the scheduler after a failover

        await successor.AppendAsync(Enumerable.Range(3, 5).Select(i => Line("build", 0, $"line {i:D2} 0123456789")).ToList());
        await successor.CloseAsync("run-1", "build", 1);

        var lines = await Read();
        Assert.Equal(6, lines.Count); // no second header: the step is known
        Assert.Equal("line 03 0123456789", lines[4]);
        Assert.Equal(RunLogFiles.TruncationLine(100, 4), lines[5]);
    }

    [PostgresFact]
    public async Task Read_after_returns_what_follows_a_seq_for_follow()
    {
        await store.AppendAsync([Line("build", 0, "a"), Line("build", 0, "b")]);
        var first = await store.ReadAfterAsync("run-1", 0);
        await store.AppendAsync([Line("build", 0, "c"), Line("test", 0, "d")]);

        var next = await store.ReadAfterAsync("run-1", first[^1].Seq);
        var limited = await store.ReadAfterAsync("run-1", first[^1].Seq, limit: 1);

        Assert.Equal(["::step 1 step 0", "a", "b"], first.Select(e => e.Line));
        Assert.Equal(["c", "::step 1 step 0", "d"], next.Select(e => e.Line));
        Assert.Equal(("test", 1, 0), (next[^1].UnitId, next[^1].Attempt, next[^1].Step));
        Assert.Equal(["c"], limited.Select(e => e.Line));
        Assert.Empty(await store.ReadAfterAsync("run-1", next[^1].Seq));
    }

    [PostgresFact]
    public async Task Delete_removes_one_run_only()
    {
        await store.AppendAsync([Line("build", 0, "a"), Line("build", 0, "b", run: "run-2")]);

        Assert.Equal(2, await store.DeleteRunAsync("run-1"));

        Assert.Empty(await Read());
        Assert.Equal(["::step 1 step 0", "b"], await Read("run-2"));
        Assert.Equal(0, await store.DeleteRunAsync("run-1"));
    }

    [PostgresFact]
    public async Task A_nul_character_is_stored_as_a_replacement_character()
    {
        await store.AppendAsync([Line("build", 0, "a\0b")]);

        Assert.Equal("a\uFFFDb", (await Read())[^1]);
    }

    [PostgresFact]
    public async Task Runs_appended_concurrently_each_keep_their_order()
    {
        var unlimited = new PostgresStepLogStore(schema.DataSource);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(run => Task.Run(async () =>
        {
            for (var batch = 0; batch < 10; batch++)
                await unlimited.AppendAsync(Enumerable.Range(0, 50).Select(i => Line("job", 0, $"{batch * 50 + i}", run: $"run-{run}")).ToList());
        })));

        for (var run = 0; run < 4; run++)
            Assert.Equal(Enumerable.Range(0, 500).Select(i => $"{i}"), (await Read($"run-{run}")).Skip(1));
    }
}
