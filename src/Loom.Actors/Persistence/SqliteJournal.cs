using System.Collections.Immutable;
using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.Journal;
using Microsoft.Data.Sqlite;

namespace Loom.Actors.Persistence;

/// <summary>
/// Loom's embedded journal: an Akka.Persistence journal plugin on one SQLite file, written with
/// Microsoft.Data.Sqlite and prepared statements. Loom has it rather than Akka.Persistence.Sql's
/// SQLite journal because that one's cold start (linq2db: some 3 000 methods jitted, 0.33 s of CPU even
/// precompiled) is on every <c>loom run</c>'s path; see <c>docs/benchmarks.md</c>.
/// </summary>
/// <remarks>
/// Every statement runs on one connection through <see cref="SqliteQueue"/>, in the order the journal
/// actor issued it, off the actor's thread: writes of one persistence id are never reordered, and a read
/// of the highest sequence number waits for the writes before it (as <see cref="AsyncWriteJournal"/> asks).
/// The file is opened on a pool thread as the journal starts, so the first write rarely waits for it.
/// Group commit: a write that comes less than <c>group-commit</c> (2 ms) after the previous transaction ended waits
/// until that much has passed. A persistent actor has one write in flight at a time and gathers its next events
/// meanwhile, so under a stream of events (a run of many short jobs) they share a transaction, and each transaction
/// costs WAL frames and file locks whatever its size. A write after a quiet spell is not held. A <c>loom</c> killed
/// meanwhile loses at most that window's events: a local run's step processes are in its process ledger before the
/// journal hears of them (<see cref="Running.ProcessLedger"/>), so a resumed run still finds and kills them and records
/// their attempts; a job whose end was lost runs again, as one that was still running does.
/// Tags go to their own table (<c>event_tag</c>) for events-by-tag queries; the highest sequence number
/// of a persistence id survives the deletion of its events (<c>journal_highest</c>).
/// </remarks>
public sealed class SqliteJournal : AsyncWriteJournal
{
    internal const string Schema = """
        CREATE TABLE IF NOT EXISTS event_journal (
          ordering INTEGER PRIMARY KEY AUTOINCREMENT,
          persistence_id TEXT NOT NULL,
          sequence_nr INTEGER NOT NULL,
          timestamp INTEGER NOT NULL,
          manifest TEXT NOT NULL,
          serializer_id INTEGER NOT NULL,
          payload BLOB NOT NULL,
          writer_uuid TEXT NOT NULL,
          UNIQUE (persistence_id, sequence_nr));
        CREATE TABLE IF NOT EXISTS event_tag (
          tag TEXT NOT NULL,
          ordering INTEGER NOT NULL,
          PRIMARY KEY (tag, ordering)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS journal_highest (
          persistence_id TEXT PRIMARY KEY,
          sequence_nr INTEGER NOT NULL) WITHOUT ROWID;
        """;

    private readonly SqliteQueue queue;
    private readonly Akka.Serialization.Serialization serialization;
    private readonly TimeSpan groupCommit;
    // Stopwatch timestamp of the end of the last transaction that wrote events (0: none yet).
    private long lastCommitEnded;
    private InsertStatements? statements;

    public SqliteJournal(Config config)
    {
        serialization = Context.System.Serialization;
        var settings = SqlitePluginSettings.From(config);
        groupCommit = settings.GroupCommit;
        queue = new SqliteQueue(settings, Schema, preopened: true);
    }

    protected override async Task<IImmutableList<Exception>> WriteMessagesAsync(IEnumerable<AtomicWrite> messages, CancellationToken cancellationToken)
    {
        // Serialized here, on the journal's thread: a message that cannot be serialized is rejected
        // alone (its persistent actor is told), while a failure of the file fails the whole batch.
        var writes = messages.ToList();
        var rows = new List<EventRow>[writes.Count];
        Exception?[] rejections = new Exception?[writes.Count];
        for (var i = 0; i < writes.Count; i++)
        {
            try
            {
                rows[i] = ((IImmutableList<IPersistentRepresentation>)writes[i].Payload).Select(ToRow).ToList();
            }
            catch (Exception e)
            {
                rejections[i] = e;
                rows[i] = [];
            }
        }
        await queue.Run(connection => Insert(connection, rows), HoldFor).ConfigureAwait(false);
        return rejections.All(r => r is null) ? null! : rejections.Select(r => r!).ToImmutableList();
    }

    /// <summary>How long a write whose turn has come waits, so that it starts <see cref="groupCommit"/> after the last transaction ended; null: not at all.</summary>
    private TimeSpan? HoldFor()
    {
        var ended = Volatile.Read(ref lastCommitEnded);
        if (groupCommit <= TimeSpan.Zero || ended == 0)
            return null;
        var left = groupCommit - Stopwatch.GetElapsedTime(ended);
        return left > TimeSpan.FromMilliseconds(0.1) ? left : null;
    }

    public override Task<long> ReadHighestSequenceNrAsync(string persistenceId, long fromSequenceNr, CancellationToken cancellationToken) =>
        queue.Run(connection =>
        {
            using var command = SqliteFile.Command(connection, """
                SELECT max(highest) FROM (
                  SELECT max(sequence_nr) AS highest FROM event_journal WHERE persistence_id = $id
                  UNION ALL SELECT sequence_nr FROM journal_highest WHERE persistence_id = $id)
                """, "$id");
            command.Parameters[0].Value = persistenceId;
            return command.ExecuteScalar() is long highest ? Math.Max(highest, fromSequenceNr) : fromSequenceNr;
        });

    public override Task ReplayMessagesAsync(IActorContext context, string persistenceId, long fromSequenceNr, long toSequenceNr, long max,
        Action<IPersistentRepresentation> recoveryCallback)
    {
        if (max <= 0 || toSequenceNr < fromSequenceNr)
            return Task.CompletedTask;
        return queue.Run(connection =>
        {
            using var command = SqliteFile.Command(connection, """
                SELECT sequence_nr, timestamp, manifest, serializer_id, payload, writer_uuid FROM event_journal
                WHERE persistence_id = $id AND sequence_nr >= $from AND sequence_nr <= $to
                ORDER BY sequence_nr LIMIT $max
                """, "$id", "$from", "$to", "$max");
            command.Parameters[0].Value = persistenceId;
            command.Parameters[1].Value = fromSequenceNr;
            command.Parameters[2].Value = toSequenceNr;
            command.Parameters[3].Value = max;
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var payload = serialization.Deserialize((byte[])reader.GetValue(4), reader.GetInt32(3), reader.GetString(2));
                recoveryCallback(new Persistent(payload, reader.GetInt64(0), persistenceId, reader.GetString(2), false, ActorRefs.NoSender,
                    reader.GetString(5), reader.GetInt64(1)));
            }
        });
    }

    protected override Task DeleteMessagesToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken) =>
        queue.Run(connection =>
        {
            using var transaction = connection.BeginTransaction();
            using var command = SqliteFile.Command(connection, """
                INSERT INTO journal_highest (persistence_id, sequence_nr)
                  SELECT persistence_id, max(sequence_nr) FROM event_journal WHERE persistence_id = $id AND sequence_nr <= $to GROUP BY persistence_id
                  ON CONFLICT (persistence_id) DO UPDATE SET sequence_nr = max(sequence_nr, excluded.sequence_nr);
                DELETE FROM event_tag WHERE ordering IN
                  (SELECT ordering FROM event_journal WHERE persistence_id = $id AND sequence_nr <= $to);
                DELETE FROM event_journal WHERE persistence_id = $id AND sequence_nr <= $to;
                """, "$id", "$to");
            command.Transaction = transaction;
            command.Parameters[0].Value = persistenceId;
            command.Parameters[1].Value = toSequenceNr;
            command.ExecuteNonQuery();
            transaction.Commit();
        });

    protected override void PostStop()
    {
        queue.Dispose();
        base.PostStop();
    }

    private EventRow ToRow(IPersistentRepresentation message)
    {
        var (payload, tags) = message.Payload is Tagged tagged ? (tagged.Payload, tagged.Tags) : (message.Payload, ImmutableHashSet<string>.Empty);
        var serializer = serialization.FindSerializerFor(payload);
        return new EventRow(message.PersistenceId, message.SequenceNr,
            message.Timestamp != 0 ? message.Timestamp : DateTime.UtcNow.Ticks,
            Akka.Serialization.Serialization.ManifestFor(serializer, payload), serializer.Identifier, serializer.ToBinary(payload),
            message.WriterGuid ?? "", tags);
    }

    /// <summary>
    /// One transaction per write, through statements prepared once: <c>BeginTransaction</c> would parse and run its
    /// <c>BEGIN</c> and <c>COMMIT</c> anew each time, and most events need no <c>RETURNING</c> (only a tagged event's
    /// ordering is kept, for its tags); a run writes about two transactions per job (docs/benchmarks.md).
    /// </summary>
    private void Insert(SqliteConnection connection, List<EventRow>[] writes)
    {
        statements ??= new InsertStatements(connection);
        // IMMEDIATE, as BeginTransaction does: the write lock is taken (or waited for) before the first insert.
        statements.Begin.ExecuteNonQuery();
        try
        {
            foreach (var rows in writes)
            {
                foreach (var row in rows)
                {
                    var tagged = row.Tags.Count > 0;
                    var insert = tagged ? statements.TaggedEvent : statements.Event;
                    var p = insert.Parameters;
                    p[0].Value = row.PersistenceId;
                    p[1].Value = row.SequenceNr;
                    p[2].Value = row.Timestamp;
                    p[3].Value = row.Manifest;
                    p[4].Value = row.SerializerId;
                    p[5].Value = row.Payload;
                    p[6].Value = row.WriterUuid;
                    if (!tagged)
                    {
                        insert.ExecuteNonQuery();
                        continue;
                    }
                    var ordering = (long)insert.ExecuteScalar()!;
                    foreach (var tag in row.Tags)
                    {
                        statements.Tag.Parameters[0].Value = tag;
                        statements.Tag.Parameters[1].Value = ordering;
                        statements.Tag.ExecuteNonQuery();
                    }
                }
            }
            statements.Commit.ExecuteNonQuery();
            Volatile.Write(ref lastCommitEnded, Stopwatch.GetTimestamp());
        }
        catch
        {
            // Some errors end the transaction by themselves; a second ROLLBACK would hide the first error.
            if (SQLitePCL.raw.sqlite3_get_autocommit(connection.Handle) == 0)
                statements.Rollback.ExecuteNonQuery();
            throw;
        }
    }

    private sealed class InsertStatements(SqliteConnection connection)
    {
        private const string InsertEvent = """
            INSERT INTO event_journal (persistence_id, sequence_nr, timestamp, manifest, serializer_id, payload, writer_uuid)
            VALUES ($id, $seq, $ts, $manifest, $serializer, $payload, $writer)
            """;

        private static readonly string[] EventParameters = ["$id", "$seq", "$ts", "$manifest", "$serializer", "$payload", "$writer"];

        public SqliteCommand Begin { get; } = SqliteFile.Command(connection, "BEGIN IMMEDIATE");
        public SqliteCommand Commit { get; } = SqliteFile.Command(connection, "COMMIT");
        public SqliteCommand Rollback { get; } = SqliteFile.Command(connection, "ROLLBACK");
        public SqliteCommand Event { get; } = SqliteFile.Command(connection, InsertEvent, EventParameters);
        public SqliteCommand TaggedEvent { get; } = SqliteFile.Command(connection, InsertEvent + " RETURNING ordering", EventParameters);
        public SqliteCommand Tag { get; } = SqliteFile.Command(connection, "INSERT INTO event_tag (tag, ordering) VALUES ($tag, $ordering)", "$tag", "$ordering");
    }

    private sealed record EventRow(string PersistenceId, long SequenceNr, long Timestamp, string Manifest, int SerializerId, byte[] Payload,
        string WriterUuid, IImmutableSet<string> Tags);
}
