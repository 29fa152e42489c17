using System.Runtime.CompilerServices;
using System.Text;
using Loom.Actors.Hosting;
using Loom.Actors.Scheduling;
using Npgsql;
using NpgsqlTypes;

namespace Loom.Cluster.Storage;

/// <summary>A line a step printed, as the scheduler receives it; <paramref name="StepTitle"/> goes into the step's header line.</summary>
public sealed record StepLogLine(string RunId, string UnitId, int Attempt, int Step, string? StepTitle, string Line);

/// <summary>A stored line: <paramref name="Seq"/> orders a run's lines (what <c>--follow</c> passes back to read what came after).</summary>
public sealed record StepLogEntry(long Seq, string UnitId, int Attempt, int Step, string Line);

/// <summary>
/// The cluster's step logs, stored centrally so that <c>loom logs</c> works after the node that ran a job is gone:
/// table <c>loom_step_logs</c>, one row per line, created on first use. The lines of a unit's attempt are exactly those
/// <see cref="RunLogWriter"/> writes to its file (<see cref="RunLogFiles"/>): a <c>::step n title</c> header before each
/// step's first line, at most <c>maxUnitBytes</c> (<see cref="LoomStepLogOptions.MaxFileBytes"/>) counted as the file's
/// UTF-8 bytes, then nothing but one truncation line when the attempt is closed. A NUL character, which PostgreSQL's text
/// cannot hold, is stored as U+FFFD.
/// <para>
/// The seq column is an identity: rows of one batch get increasing values in order. For <see cref="ReadAfterAsync"/>
/// never to skip a line, a run's appends must not overlap: await each before the next (the scheduler's single writer
/// does). Runs may be appended to concurrently. What is kept per open attempt (bytes so far) is read back from the table
/// the first time an attempt is seen, so a scheduler that took over after a failover keeps the cap.
/// </para>
/// </summary>
public sealed class PostgresStepLogStore(NpgsqlDataSource dataSource, long maxUnitBytes = LoomStepLogOptions.DefaultMaxFileBytes)
{
    private readonly PostgresTable table = new(dataSource, """
        CREATE TABLE IF NOT EXISTS loom_step_logs (
            run_id text NOT NULL,
            seq bigint GENERATED ALWAYS AS IDENTITY,
            unit_id text NOT NULL,
            attempt integer NOT NULL,
            step integer NOT NULL,
            line text NOT NULL,
            PRIMARY KEY (run_id, seq));
        CREATE INDEX IF NOT EXISTS loom_step_logs_unit ON loom_step_logs (run_id, unit_id, attempt, seq);
        """);

    // Per run and unit, its latest attempt's tally (a new attempt closes the previous one, as RunLogWriter does).
    private readonly Dictionary<(string RunId, string UnitId), Tally> open = [];

    /// <summary>Stores a batch of lines, in order, in one round trip (two when it holds an attempt this instance has not seen yet).</summary>
    public async Task AppendAsync(IReadOnlyList<StepLogLine> lines, CancellationToken cancellationToken = default)
    {
        await table.EnsureAsync(cancellationToken);
        List<(string RunId, string UnitId, int Attempt)> unseen;
        lock (open)
            unseen = lines.Select(l => (l.RunId, l.UnitId, l.Attempt)).Distinct().Where(k => !IsOpen(k)).ToList();
        var stored = unseen.Count == 0 ? [] : await StoredTalliesAsync(unseen, cancellationToken);
        var rows = new List<Row>(lines.Count + 4);
        lock (open)
        {
            foreach (var key in unseen)
            {
                if (!IsOpen(key))
                {
                    if (open.Remove((key.RunId, key.UnitId), out var previous))
                        AddTruncationLine(previous, rows);
                    open[(key.RunId, key.UnitId)] = stored.GetValueOrDefault(key) ?? new Tally(key.RunId, key.UnitId, key.Attempt);
                }
            }
            foreach (var line in lines)
                Add(line, rows);
        }
        await InsertAsync(rows, cancellationToken);
    }

    /// <summary>An attempt ended: if lines were dropped, its truncation line is stored.</summary>
    public Task CloseAsync(string runId, string unitId, int attempt, CancellationToken cancellationToken = default)
    {
        var rows = new List<Row>();
        lock (open)
        {
            if (open.TryGetValue((runId, unitId), out var tally) && tally.Attempt == attempt && open.Remove((runId, unitId)))
                AddTruncationLine(tally, rows);
        }
        return InsertAsync(rows, cancellationToken);
    }

    /// <summary>The run ended: every attempt still open is closed.</summary>
    public Task CloseRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        var rows = new List<Row>();
        lock (open)
        {
            foreach (var key in open.Keys.Where(k => k.RunId == runId).ToList())
            {
                open.Remove(key, out var tally);
                AddTruncationLine(tally!, rows);
            }
        }
        return InsertAsync(rows, cancellationToken);
    }

    /// <summary>A run's lines in the order they were stored: all of them, one unit's, or one attempt's.</summary>
    public async IAsyncEnumerable<StepLogEntry> ReadAsync(string runId, string? unitId = null, int? attempt = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await table.EnsureAsync(cancellationToken);
        await using var command = dataSource.CreateCommand(
            "SELECT seq, unit_id, attempt, step, line FROM loom_step_logs WHERE run_id = @run" +
            (unitId is null ? "" : " AND unit_id = @unit") + (attempt is null ? "" : " AND attempt = @attempt") + " ORDER BY seq");
        command.Parameters.AddWithValue("run", runId);
        if (unitId is not null)
            command.Parameters.AddWithValue("unit", unitId);
        if (attempt is not null)
            command.Parameters.AddWithValue("attempt", attempt.Value);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            yield return new StepLogEntry(reader.GetInt64(0), reader.GetString(1), reader.GetInt32(2), reader.GetInt32(3), reader.GetString(4));
    }

    /// <summary>The run's lines stored after <paramref name="afterSeq"/> (0: from the start), at most <paramref name="limit"/>: what <c>loom logs --follow</c> polls.</summary>
    public async Task<IReadOnlyList<StepLogEntry>> ReadAfterAsync(string runId, long afterSeq, int limit = 10_000, CancellationToken cancellationToken = default)
    {
        await table.EnsureAsync(cancellationToken);
        await using var command = dataSource.CreateCommand(
            "SELECT seq, unit_id, attempt, step, line FROM loom_step_logs WHERE run_id = @run AND seq > @after ORDER BY seq LIMIT @limit");
        command.Parameters.AddWithValue("run", runId);
        command.Parameters.AddWithValue("after", afterSeq);
        command.Parameters.AddWithValue("limit", limit);
        var entries = new List<StepLogEntry>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            entries.Add(new StepLogEntry(reader.GetInt64(0), reader.GetString(1), reader.GetInt32(2), reader.GetInt32(3), reader.GetString(4)));
        return entries;
    }

    /// <summary>One attempt's lines stored after <paramref name="afterSeq"/> (0: from the start), at most <paramref name="limit"/>: what the web view polls.</summary>
    public async Task<IReadOnlyList<StepLogEntry>> ReadAfterAsync(string runId, string unitId, int attempt, long afterSeq, int limit = 10_000, CancellationToken cancellationToken = default)
    {
        await table.EnsureAsync(cancellationToken);
        await using var command = dataSource.CreateCommand(
            "SELECT seq, unit_id, attempt, step, line FROM loom_step_logs WHERE run_id = @run AND unit_id = @unit AND attempt = @attempt AND seq > @after ORDER BY seq LIMIT @limit");
        command.Parameters.AddWithValue("run", runId);
        command.Parameters.AddWithValue("unit", unitId);
        command.Parameters.AddWithValue("attempt", attempt);
        command.Parameters.AddWithValue("after", afterSeq);
        command.Parameters.AddWithValue("limit", limit);
        var entries = new List<StepLogEntry>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            entries.Add(new StepLogEntry(reader.GetInt64(0), reader.GetString(1), reader.GetInt32(2), reader.GetInt32(3), reader.GetString(4)));
        return entries;
    }

    /// <summary>Deletes a run's lines (<c>loom prune</c>); returns how many there were.</summary>
    public async Task<int> DeleteRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        lock (open)
        {
            foreach (var key in open.Keys.Where(k => k.RunId == runId).ToList())
                open.Remove(key);
        }
        await table.EnsureAsync(cancellationToken);
        await using var command = dataSource.CreateCommand("DELETE FROM loom_step_logs WHERE run_id = @run");
        command.Parameters.AddWithValue("run", runId);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private bool IsOpen((string RunId, string UnitId, int Attempt) key) =>
        open.TryGetValue((key.RunId, key.UnitId), out var tally) && tally.Attempt == key.Attempt;

    /// <summary>RunLogWriter.Write's rule, line for line.</summary>
    private void Add(StepLogLine line, List<Row> rows)
    {
        var tally = open[(line.RunId, line.UnitId)];
        if (tally.Attempt != line.Attempt)
            return; // an older attempt's late line: its log is closed
        var text = line.Line.Replace('\0', '\uFFFD');
        var lineBytes = Encoding.UTF8.GetByteCount(text) + 1;
        if (tally.Dropped > 0 || tally.Bytes + lineBytes > maxUnitBytes)
        {
            // Once full, a log stays full: a later short line would read as if nothing were lost before it.
            tally.Dropped++;
            return;
        }
        if (line.Step != tally.Step)
        {
            tally.Step = line.Step;
            var header = RunLogFiles.Header(line.Step, line.StepTitle?.Replace('\0', '\uFFFD'));
            tally.Bytes += Encoding.UTF8.GetByteCount(header) + 1;
            rows.Add(new Row(tally, line.Step, header));
        }
        tally.Bytes += lineBytes;
        rows.Add(new Row(tally, line.Step, text));
    }

    private void AddTruncationLine(Tally tally, List<Row> rows)
    {
        if (tally.Dropped > 0)
            rows.Add(new Row(tally, Math.Max(tally.Step, 0), RunLogFiles.TruncationLine(maxUnitBytes, tally.Dropped)));
    }

    /// <summary>What the table holds of attempts this instance has not seen: their bytes and last step (after a failover; none for a new attempt).</summary>
    private async Task<Dictionary<(string, string, int), Tally>> StoredTalliesAsync(
        List<(string RunId, string UnitId, int Attempt)> keys, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT l.run_id, l.unit_id, l.attempt, sum(octet_length(l.line) + 1), max(l.step)
            FROM loom_step_logs l JOIN unnest(@runs, @units, @attempts) AS k(run_id, unit_id, attempt)
              ON l.run_id = k.run_id AND l.unit_id = k.unit_id AND l.attempt = k.attempt
            GROUP BY l.run_id, l.unit_id, l.attempt
            """);
        command.Parameters.AddWithValue("runs", keys.Select(k => k.RunId).ToArray());
        command.Parameters.AddWithValue("units", keys.Select(k => k.UnitId).ToArray());
        command.Parameters.AddWithValue("attempts", keys.Select(k => k.Attempt).ToArray());
        var tallies = new Dictionary<(string, string, int), Tally>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var key = (reader.GetString(0), reader.GetString(1), reader.GetInt32(2));
            tallies[key] = new Tally(key.Item1, key.Item2, key.Item3) { Bytes = reader.GetInt64(3), Step = reader.GetInt32(4) };
        }
        return tallies;
    }

    private async Task InsertAsync(List<Row> rows, CancellationToken cancellationToken)
    {
        if (rows.Count == 0)
            return;
        // One statement for the batch; WITH ORDINALITY makes the identity follow the batch's order.
        await using var command = dataSource.CreateCommand("""
            INSERT INTO loom_step_logs (run_id, unit_id, attempt, step, line)
            SELECT run_id, unit_id, attempt, step, line
            FROM unnest(@runs, @units, @attempts, @steps, @lines) WITH ORDINALITY AS b(run_id, unit_id, attempt, step, line, n)
            ORDER BY n
            """);
        command.Parameters.Add(new NpgsqlParameter<string[]>("runs", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = rows.Select(r => r.Tally.RunId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]>("units", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = rows.Select(r => r.Tally.UnitId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<int[]>("attempts", NpgsqlDbType.Array | NpgsqlDbType.Integer) { TypedValue = rows.Select(r => r.Tally.Attempt).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<int[]>("steps", NpgsqlDbType.Array | NpgsqlDbType.Integer) { TypedValue = rows.Select(r => r.Step).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]>("lines", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = rows.Select(r => r.Line).ToArray() });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private sealed class Tally(string runId, string unitId, int attempt)
    {
        public string RunId { get; } = runId;
        public string UnitId { get; } = unitId;
        public int Attempt { get; } = attempt;
        public long Bytes { get; set; }
        public long Dropped { get; set; }
        public int Step { get; set; } = -1;
    }

    private sealed record Row(Tally Tally, int Step, string Line);
}
