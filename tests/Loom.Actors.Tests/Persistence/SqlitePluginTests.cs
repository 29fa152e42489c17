using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using Loom.Actors.Hosting;
using Loom.Actors.Persistence;
using Loom.Actors.Protocol;
using Loom.Actors.Serialization;
using Microsoft.Data.Sqlite;
using static Loom.Actors.Protocol.RunEvents;

namespace Loom.Actors.Tests.Persistence;

/// <summary>Loom's SQLite journal, snapshot store and read journal as Akka.Persistence plugins, on real files.</summary>
public sealed class SqlitePluginTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly string folder = Directory.CreateTempSubdirectory("loom-sqlite-").FullName;

    [Fact]
    public async Task Events_are_replayed_in_order_after_a_restart_and_numbering_goes_on()
    {
        using (var system = Start())
        {
            var recorder = StartRecorder(system, "p-1");
            foreach (var job in new[] { "a", "b", "c" })
                Assert.Equal(job, await recorder.Ask<string>(new Record(job), Patience));
            await recorder.GracefulStop(Patience);
        }
        using (var system = Start())
        {
            var recorder = StartRecorder(system, "p-1");
            Assert.Equal(["a", "b", "c"], await recorder.Ask<string[]>(Recorder.Recovered, Patience));
            Assert.Equal("d", await recorder.Ask<string>(new Record("d"), Patience));
            Assert.Equal(4L, await recorder.Ask<long>(Recorder.LastSequence, Patience));
        }
    }

    [Fact]
    public async Task Deleted_events_are_not_replayed_and_their_sequence_numbers_are_never_reused()
    {
        using (var system = Start())
        {
            var recorder = StartRecorder(system, "p-2");
            foreach (var job in new[] { "a", "b", "c" })
                await recorder.Ask<string>(new Record(job), Patience);
            Assert.Equal(2L, await recorder.Ask<long>(new DeleteTo(2), Patience));
            Assert.Equal(3L, await recorder.Ask<long>(new DeleteTo(long.MaxValue), Patience));
        }
        using (var system = Start())
        {
            var recorder = StartRecorder(system, "p-2");
            Assert.Empty(await recorder.Ask<string[]>(Recorder.Recovered, Patience));
            await recorder.Ask<string>(new Record("d"), Patience);
            Assert.Equal(4L, await recorder.Ask<long>(Recorder.LastSequence, Patience));
        }
    }

    [Fact]
    public async Task The_read_journal_lists_events_by_tag_across_persistence_ids_and_by_persistence_id()
    {
        using var system = Start();
        var first = StartRecorder(system, "p-3");
        var second = StartRecorder(system, "p-4");
        await first.Ask<string>(new Record("a", Tag: "t"), Patience);
        await second.Ask<string>(new Record("b"), Patience);
        await second.Ask<string>(new Record("c", Tag: "t"), Patience);
        await first.Ask<string>(new Record("d"), Patience);

        var query = PersistenceQuery.Get(system).ReadJournalFor<SqliteReadJournal>(QueryPlugin);
        var tagged = await query.CurrentEventsByTag("t", Offset.NoOffset()).RunWith(Sink.Seq<EventEnvelope>(), system.Materializer());
        Assert.Equal([("p-3", 1L, "a"), ("p-4", 2L, "c")], tagged.Select(e => (e.PersistenceId, e.SequenceNr, ((JobQueued)e.Event).JobId)));
        var after = await query.CurrentEventsByTag("t", tagged[0].Offset).RunWith(Sink.Seq<EventEnvelope>(), system.Materializer());
        Assert.Equal(["c"], after.Select(e => ((JobQueued)e.Event).JobId));
        var byId = await query.CurrentEventsByPersistenceId("p-3", 0, long.MaxValue).RunWith(Sink.Seq<EventEnvelope>(), system.Materializer());
        Assert.Equal(["a", "d"], byId.Select(e => ((JobQueued)e.Event).JobId));
        var ids = await query.CurrentPersistenceIds().RunWith(Sink.Seq<string>(), system.Materializer());
        Assert.Equal(["p-3", "p-4"], ids);
    }

    [Fact]
    public async Task The_newest_snapshot_within_the_criteria_is_loaded_and_deletion_by_criteria_removes_it()
    {
        using var system = Start();
        var store = Akka.Persistence.Persistence.Instance.Apply(system).SnapshotStoreFor(SnapshotPlugin);
        var probe = new Akka.TestKit.Xunit2.TestKit(system).CreateTestProbe();
        foreach (var sequence in new long[] { 5, 10 })
        {
            store.Tell(new SaveSnapshot(new SnapshotMetadata("p-5", sequence, DateTime.UtcNow), new JobQueued($"at-{sequence}", DateTimeOffset.UnixEpoch)), probe.Ref);
            probe.ExpectMsg<SaveSnapshotSuccess>(Patience);
        }
        store.Tell(new LoadSnapshot("p-5", SnapshotSelectionCriteria.Latest, long.MaxValue), probe.Ref);
        Assert.Equal("at-10", ((JobQueued)probe.ExpectMsg<LoadSnapshotResult>(Patience).Snapshot.Snapshot).JobId);
        store.Tell(new LoadSnapshot("p-5", new SnapshotSelectionCriteria(7), long.MaxValue), probe.Ref);
        Assert.Equal(5, probe.ExpectMsg<LoadSnapshotResult>(Patience).Snapshot.Metadata.SequenceNr);

        store.Tell(new DeleteSnapshots("p-5", new SnapshotSelectionCriteria(7)), probe.Ref);
        probe.ExpectMsg<DeleteSnapshotsSuccess>(Patience);
        store.Tell(new LoadSnapshot("p-5", new SnapshotSelectionCriteria(7), long.MaxValue), probe.Ref);
        Assert.Null(probe.ExpectMsg<LoadSnapshotResult>(Patience).Snapshot);
    }

    [Fact]
    public async Task Two_actor_systems_write_the_same_journal_file_at_once()
    {
        using var one = Start();
        using var two = Start();
        var writers = new[] { StartRecorder(one, "p-6"), StartRecorder(two, "p-7") };
        await Task.WhenAll(writers.Select(async w =>
        {
            for (var i = 0; i < 50; i++)
                await w.Ask<string>(new Record("e" + i), Patience);
        }));
        var query = PersistenceQuery.Get(one).ReadJournalFor<SqliteReadJournal>(QueryPlugin);
        foreach (var id in new[] { "p-6", "p-7" })
        {
            var events = await query.CurrentEventsByPersistenceId(id, 0, long.MaxValue).RunWith(Sink.Seq<EventEnvelope>(), one.Materializer());
            Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), events.Select(e => e.SequenceNr));
        }
    }

    [Fact]
    public async Task A_write_that_fails_is_rolled_back_and_the_journal_writes_on()
    {
        using var one = Start();
        using var two = Start();
        var first = StartRecorder(one, "p-8");
        var rival = StartRecorder(two, "p-8");
        // Both have recovered an empty history, so both will write sequence number 1.
        Assert.Equal(0L, await first.Ask<long>(Recorder.LastSequence, Patience));
        Assert.Equal(0L, await rival.Ask<long>(Recorder.LastSequence, Patience));
        await first.Ask<string>(new Record("a"), Patience);

        var watcher = new TaskCompletionSource();
        two.ActorOf(Props.Create(() => new DeathWatcher(rival, watcher)));
        rival.Tell(new Record("x"));
        // The duplicate sequence number fails the write and stops its writer (Akka.Persistence's persist failure).
        await watcher.Task.WaitAsync(Patience);

        var next = StartRecorder(two, "p-9");
        Assert.Equal("b", await next.Ask<string>(new Record("b", "t-9"), Patience));
        var query = PersistenceQuery.Get(two).ReadJournalFor<SqliteReadJournal>(QueryPlugin);
        var events = await query.CurrentEventsByPersistenceId("p-8", 0, long.MaxValue).RunWith(Sink.Seq<EventEnvelope>(), two.Materializer());
        Assert.Equal(["a"], events.Select(e => ((JobQueued)e.Event).JobId));
        var tagged = await query.CurrentEventsByTag("t-9", Offset.NoOffset()).RunWith(Sink.Seq<EventEnvelope>(), two.Materializer());
        Assert.Equal(["p-9"], tagged.Select(e => e.PersistenceId));
    }

    [Fact]
    public async Task Events_that_come_while_a_write_is_held_share_one_transaction()
    {
        // Group commit: after the first write, the next waits until the window has passed since it, and the events
        // that come meanwhile (here ten, 10 ms apart) gather into one or two writes. Without it each is a transaction
        // of its own. Counted in WAL frames: a transaction writes at least two pages (table and index).
        Assert.InRange(await FramesForSpacedEvents("p-10", groupCommit: "1s"), 2, 3 * 4);
        Assert.InRange(await FramesForSpacedEvents("p-11", groupCommit: "0s"), 2 * 10, int.MaxValue);

        using var system = Start();
        var recorder = StartRecorder(system, "p-10");
        var recovered = await recorder.Ask<string[]>(Recorder.Recovered, Patience);
        Assert.Equal(new[] { "first" }.Concat(Enumerable.Range(0, 10).Select(i => "e" + i)), recovered);
    }

    private async Task<long> FramesForSpacedEvents(string persistenceId, string groupCommit)
    {
        var wal = Path.Combine(folder, "journal.db-wal");
        using var system = Start(groupCommit);
        var recorder = StartRecorder(system, persistenceId);
        await recorder.Ask<string>(new Record("first"), Patience);
        var framesBefore = WalFrames(wal);
        var acks = new List<Task<string>>();
        for (var i = 0; i < 10; i++)
        {
            acks.Add(recorder.Ask<string>(new Record("e" + i, Async: true), Patience));
            // The spacing is what is tested: events that do not arrive together.
            await Task.Delay(10);
        }
        Assert.Equal(Enumerable.Range(0, 10).Select(i => "e" + i), await Task.WhenAll(acks));
        return WalFrames(wal) - framesBefore;
    }

    /// <summary>Frames in a WAL file: a 32-byte header, then 24 bytes and a 4 KiB page each.</summary>
    private static long WalFrames(string wal) => (new FileInfo(wal).Length - 32) / (24 + 4096);

    private sealed class DeathWatcher : ReceiveActor
    {
        public DeathWatcher(IActorRef watched, TaskCompletionSource stopped)
        {
            Context.Watch(watched);
            Receive<Terminated>(_ => stopped.TrySetResult());
        }
    }

    private static string JournalPlugin => "akka.persistence.journal." + LoomPersistenceOptions.SqlitePluginIdentifier;
    private static string SnapshotPlugin => "akka.persistence.snapshot-store." + LoomPersistenceOptions.SqlitePluginIdentifier;
    private static string QueryPlugin => LoomPersistenceOptions.SqliteQueryPluginId;

    private ActorSystem Start(string groupCommit = "2ms")
    {
        var journal = Path.Combine(folder, "journal.db");
        var id = LoomPersistenceOptions.SqlitePluginIdentifier;
        var config = ConfigurationFactory.ParseString($$"""
            akka.actor.serializers.loom = "{{typeof(LoomMessageSerializer).AssemblyQualifiedName}}"
            akka.actor.serialization-bindings { "{{typeof(ILoomMessage).AssemblyQualifiedName}}" = loom }
            akka.persistence.journal.{{id}} { class = "{{typeof(SqliteJournal).AssemblyQualifiedName}}", path = "{{journal}}", group-commit = {{groupCommit}} }
            akka.persistence.snapshot-store.{{id}} { class = "{{typeof(SqliteSnapshotStore).AssemblyQualifiedName}}", path = "{{Path.Combine(folder, "snapshots.db")}}" }
            akka.persistence.query.journal.{{id}} { class = "{{typeof(SqliteReadJournalProvider).AssemblyQualifiedName}}", path = "{{journal}}" }
            akka.loglevel = WARNING
            """);
        return ActorSystem.Create("sqlite-" + Guid.NewGuid().ToString("N")[..8], config);
    }

    private static IActorRef StartRecorder(ActorSystem system, string persistenceId) =>
        system.ActorOf(Props.Create(() => new Recorder(persistenceId, JournalPlugin)));

    private sealed record Record(string Job, string? Tag = null, bool Async = false);

    private sealed record DeleteTo(long SequenceNr);

    /// <summary>Persists <see cref="JobQueued"/> events and answers what it recovered.</summary>
    private sealed class Recorder : ReceivePersistentActor
    {
        public const string Recovered = "recovered";
        public const string LastSequence = "last";
        private readonly List<string> recovered = [];
        private IActorRef? deleteRequester;

        public Recorder(string persistenceId, string journal)
        {
            PersistenceId = persistenceId;
            JournalPluginId = journal;
            Recover<JobQueued>(e => recovered.Add(e.JobId));
            Command<Record>(r =>
            {
                var e = new JobQueued(r.Job, DateTimeOffset.UnixEpoch);
                var sender = Sender;
                if (r.Async)
                    PersistAsync(e, _ => sender.Tell(r.Job));
                else
                    Persist<object>(r.Tag is null ? e : new Akka.Persistence.Journal.Tagged(e, [r.Tag]), _ => Sender.Tell(r.Job));
            });
            Command<string>(s => s == Recovered, _ => Sender.Tell(recovered.ToArray()));
            Command<string>(s => s == LastSequence, _ => Sender.Tell(LastSequenceNr));
            Command<DeleteTo>(d =>
            {
                deleteRequester = Sender;
                DeleteMessages(d.SequenceNr);
            });
            Command<DeleteMessagesSuccess>(s => deleteRequester?.Tell(s.ToSequenceNr));
            Command<DeleteMessagesFailure>(f => deleteRequester?.Tell(new Status.Failure(f.Cause)));
        }

        public override string PersistenceId { get; }
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
    }
}
