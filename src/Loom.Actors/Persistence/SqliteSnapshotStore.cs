using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.Snapshot;
using Microsoft.Data.Sqlite;

namespace Loom.Actors.Persistence;

/// <summary>
/// Loom's embedded snapshot store: an Akka.Persistence snapshot store plugin on its own SQLite file
/// (snapshots are written while the journal writes; two files never wait for each other's lock).
/// Statements run in order on one connection, as the journal's do.
/// </summary>
public sealed class SqliteSnapshotStore : SnapshotStore
{
    internal const string Schema = """
        CREATE TABLE IF NOT EXISTS snapshot (
          persistence_id TEXT NOT NULL,
          sequence_nr INTEGER NOT NULL,
          timestamp INTEGER NOT NULL,
          manifest TEXT NOT NULL,
          serializer_id INTEGER NOT NULL,
          payload BLOB NOT NULL,
          PRIMARY KEY (persistence_id, sequence_nr)) WITHOUT ROWID;
        """;

    private const string Matching = """
        persistence_id = $id AND sequence_nr >= $minSeq AND sequence_nr <= $maxSeq AND timestamp >= $minTime AND timestamp <= $maxTime
        """;

    private readonly SqliteQueue queue;
    private readonly Akka.Serialization.Serialization serialization;

    public SqliteSnapshotStore(Config config)
    {
        serialization = Context.System.Serialization;
        queue = new SqliteQueue(SqlitePluginSettings.From(config), Schema, preopened: true);
    }

    protected override Task<SelectedSnapshot> LoadAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken) =>
        queue.Run(connection =>
        {
            using var command = Select(connection, $"SELECT sequence_nr, timestamp, manifest, serializer_id, payload FROM snapshot WHERE {Matching} ORDER BY sequence_nr DESC LIMIT 1",
                persistenceId, criteria);
            using var reader = command.ExecuteReader();
            if (!reader.Read())
                return null!;
            var snapshot = serialization.Deserialize((byte[])reader.GetValue(4), reader.GetInt32(3), reader.GetString(2));
            return new SelectedSnapshot(new SnapshotMetadata(persistenceId, reader.GetInt64(0), new DateTime(reader.GetInt64(1), DateTimeKind.Utc)), snapshot);
        });

    protected override Task SaveAsync(SnapshotMetadata metadata, object snapshot, CancellationToken cancellationToken)
    {
        var serializer = serialization.FindSerializerFor(snapshot);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, snapshot);
        var payload = serializer.ToBinary(snapshot);
        return queue.Run(connection =>
        {
            using var command = SqliteFile.Command(connection, """
                INSERT INTO snapshot (persistence_id, sequence_nr, timestamp, manifest, serializer_id, payload)
                VALUES ($id, $seq, $ts, $manifest, $serializer, $payload)
                ON CONFLICT (persistence_id, sequence_nr) DO UPDATE SET
                  timestamp = excluded.timestamp, manifest = excluded.manifest, serializer_id = excluded.serializer_id, payload = excluded.payload
                """, "$id", "$seq", "$ts", "$manifest", "$serializer", "$payload");
            command.Parameters[0].Value = metadata.PersistenceId;
            command.Parameters[1].Value = metadata.SequenceNr;
            command.Parameters[2].Value = (metadata.Timestamp == DateTime.MinValue ? DateTime.UtcNow : metadata.Timestamp).Ticks;
            command.Parameters[3].Value = manifest;
            command.Parameters[4].Value = serializer.Identifier;
            command.Parameters[5].Value = payload;
            command.ExecuteNonQuery();
        });
    }

    protected override Task DeleteAsync(SnapshotMetadata metadata, CancellationToken cancellationToken) =>
        queue.Run(connection =>
        {
            // Akka's rule: a metadata without a timestamp deletes the snapshot at that sequence number whatever its time.
            var byTime = metadata.Timestamp != DateTime.MinValue;
            using var command = SqliteFile.Command(connection,
                "DELETE FROM snapshot WHERE persistence_id = $id AND sequence_nr = $seq" + (byTime ? " AND timestamp = $ts" : ""),
                byTime ? ["$id", "$seq", "$ts"] : ["$id", "$seq"]);
            command.Parameters[0].Value = metadata.PersistenceId;
            command.Parameters[1].Value = metadata.SequenceNr;
            if (byTime)
                command.Parameters[2].Value = metadata.Timestamp.Ticks;
            command.ExecuteNonQuery();
        });

    protected override Task DeleteAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken) =>
        queue.Run(connection =>
        {
            using var command = Select(connection, $"DELETE FROM snapshot WHERE {Matching}", persistenceId, criteria);
            command.ExecuteNonQuery();
        });

    protected override void PostStop()
    {
        queue.Dispose();
        base.PostStop();
    }

    private static SqliteCommand Select(SqliteConnection connection, string sql, string persistenceId, SnapshotSelectionCriteria criteria)
    {
        var command = SqliteFile.Command(connection, sql, "$id", "$minSeq", "$maxSeq", "$minTime", "$maxTime");
        command.Parameters[0].Value = persistenceId;
        command.Parameters[1].Value = criteria.MinSequenceNr;
        command.Parameters[2].Value = criteria.MaxSequenceNr;
        command.Parameters[3].Value = (criteria.MinTimestamp ?? DateTime.MinValue).Ticks;
        command.Parameters[4].Value = criteria.MaxTimeStamp.Ticks;
        return command;
    }
}
