using Akka;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence.Query;
using Akka.Streams.Dsl;
using Microsoft.Data.Sqlite;

namespace Loom.Actors.Persistence;

/// <summary>The read side of <see cref="SqliteJournal"/> for Akka.Persistence.Query (HOCON: <c>class</c> and the journal's <c>path</c>).</summary>
public sealed class SqliteReadJournalProvider(ExtendedActorSystem system, Config config) : IReadJournalProvider
{
    public IReadJournal GetReadJournal() => new SqliteReadJournal(system, SqlitePluginSettings.From(config));
}

/// <summary>
/// The current events of the embedded journal, by persistence id or by tag, and its persistence ids.
/// The "current" queries only: each is one SQL query run when the stream starts; what Loom follows
/// live (a run's output) it follows through its log files, not the journal.
/// </summary>
public sealed class SqliteReadJournal : IReadJournal, ICurrentEventsByPersistenceIdQuery, ICurrentEventsByTagQuery, ICurrentPersistenceIdsQuery, IDisposable
{
    private readonly Akka.Serialization.Serialization serialization;
    private readonly SqliteQueue queue;

    internal SqliteReadJournal(ExtendedActorSystem system, SqlitePluginSettings settings)
    {
        serialization = system.Serialization;
        queue = new SqliteQueue(settings, SqliteJournal.Schema);
    }

    public Source<EventEnvelope, NotUsed> CurrentEventsByPersistenceId(string persistenceId, long fromSequenceNr, long toSequenceNr) =>
        Query(connection =>
        {
            using var command = SqliteFile.Command(connection, """
                SELECT ordering, persistence_id, sequence_nr, timestamp, manifest, serializer_id, payload FROM event_journal
                WHERE persistence_id = $id AND sequence_nr >= $from AND sequence_nr <= $to ORDER BY sequence_nr
                """, "$id", "$from", "$to");
            command.Parameters[0].Value = persistenceId;
            command.Parameters[1].Value = fromSequenceNr;
            command.Parameters[2].Value = toSequenceNr;
            return Envelopes(command, tag: null);
        });

    /// <summary>Offsets are <see cref="Sequence"/> values of the journal's global ordering: events after the offset.</summary>
    public Source<EventEnvelope, NotUsed> CurrentEventsByTag(string tag, Offset offset) =>
        Query(connection =>
        {
            using var command = SqliteFile.Command(connection, """
                SELECT e.ordering, e.persistence_id, e.sequence_nr, e.timestamp, e.manifest, e.serializer_id, e.payload
                FROM event_tag t JOIN event_journal e ON e.ordering = t.ordering
                WHERE t.tag = $tag AND t.ordering > $after ORDER BY t.ordering
                """, "$tag", "$after");
            command.Parameters[0].Value = tag;
            command.Parameters[1].Value = offset is Sequence sequence ? sequence.Value : 0L;
            return Envelopes(command, tag);
        });

    public Source<string, NotUsed> CurrentPersistenceIds() =>
        Query(connection =>
        {
            using var command = SqliteFile.Command(connection, "SELECT DISTINCT persistence_id FROM event_journal ORDER BY persistence_id");
            using var reader = command.ExecuteReader();
            var ids = new List<string>();
            while (reader.Read())
                ids.Add(reader.GetString(0));
            return ids;
        });

    public void Dispose() => queue.Dispose();

    private Source<T, NotUsed> Query<T>(Func<SqliteConnection, List<T>> query) =>
        Source.Lazily(() => Source.FromTask(queue.Run(query)).SelectMany(rows => rows))
            .MapMaterializedValue(_ => NotUsed.Instance);

    private List<EventEnvelope> Envelopes(SqliteCommand command, string? tag)
    {
        using var reader = command.ExecuteReader();
        var envelopes = new List<EventEnvelope>();
        while (reader.Read())
        {
            var payload = serialization.Deserialize((byte[])reader.GetValue(6), reader.GetInt32(5), reader.GetString(4));
            envelopes.Add(new EventEnvelope(Offset.Sequence(reader.GetInt64(0)), reader.GetString(1), reader.GetInt64(2), payload,
                reader.GetInt64(3), tag is null ? [] : [tag]));
        }
        return envelopes;
    }
}
