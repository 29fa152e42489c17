using Akka.Actor;
using Akka.Persistence;
using Akka.Persistence.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using Loom.Actors.Hosting;
using Loom.Actors.Protocol;
using Loom.Actors.Scheduling;
using Loom.Core.Model;
using static Loom.Actors.Protocol.RunEvents;

namespace Loom.Actors.Persistence;

/// <summary>One run as the history lists it, from its tagged first and last events.</summary>
/// <param name="Result">Null while the run has no <see cref="RunFinished"/> (still going, or its process was killed).</param>
public sealed record RunSummary(string RunId, string Workflow, DateTimeOffset StartedAt, Result? Result, TimeSpan? Duration);

/// <summary>
/// Reads runs back from the journal through Akka.Persistence.Query: works with any journal whose read
/// side answers current events by tag and by persistence id (the embedded SQLite one does).
/// </summary>
public sealed class RunJournal(ActorSystem system, string queryPluginId)
{
    /// <summary>Every run recorded, newest first.</summary>
    public async Task<IReadOnlyList<RunSummary>> RunsAsync(CancellationToken cancellationToken = default)
    {
        var query = PersistenceQuery.Get(system).ReadJournalFor<IReadJournal>(queryPluginId) as ICurrentEventsByTagQuery
            ?? throw new NotSupportedException($"the read journal {queryPluginId} cannot list events by tag");
        var started = new Dictionary<string, RunStarted>(StringComparer.Ordinal);
        var finished = new Dictionary<string, RunFinished>(StringComparer.Ordinal);
        await query.CurrentEventsByTag(LoomPersistenceOptions.RunTag, Offset.NoOffset())
            .RunForeach(envelope =>
            {
                switch (envelope.Event)
                {
                    case RunStarted s:
                        started[envelope.PersistenceId] = s;
                        break;
                    case RunFinished f:
                        finished[envelope.PersistenceId] = f;
                        break;
                }
            }, system.Materializer())
            .WaitAsync(cancellationToken)
            .ConfigureAwait(false);
        return started
            .Select(pair => finished.TryGetValue(pair.Key, out var f)
                ? new RunSummary(pair.Value.RunId, pair.Value.Workflow, pair.Value.At, f.Result, f.Duration)
                : new RunSummary(pair.Value.RunId, pair.Value.Workflow, pair.Value.At, null, null))
            .OrderByDescending(r => r.StartedAt)
            .ThenByDescending(r => r.RunId, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// Deletes a run's events and snapshots through Akka.Persistence's own protocol (<see cref="DeleteMessagesTo"/> to the
    /// journal, <see cref="DeleteSnapshots"/> to the snapshot store), so it works with any plugin: the run is gone from
    /// every query. The caller makes sure no scheduler writes the run meanwhile.
    /// </summary>
    public async Task DeleteAsync(string runId, LoomPersistenceOptions persistence, TimeSpan timeout)
    {
        var plugins = Akka.Persistence.Persistence.Instance.Apply(system);
        var persistenceId = SchedulerActor.PersistenceIdOf(runId);
        var deleted = await plugins.JournalFor(persistence.EffectiveJournalPluginId)
            .Ask<object>(replyTo => new DeleteMessagesTo(persistenceId, long.MaxValue, replyTo), timeout, CancellationToken.None)
            .ConfigureAwait(false);
        if (deleted is DeleteMessagesFailure failure)
            throw new IOException($"could not delete the events of run {runId}: {failure.Cause.Message}", failure.Cause);
        var snapshots = await plugins.SnapshotStoreFor(persistence.EffectiveSnapshotPluginId)
            .Ask<object>(new DeleteSnapshots(persistenceId, SnapshotSelectionCriteria.Latest), timeout)
            .ConfigureAwait(false);
        if (snapshots is DeleteSnapshotsFailure snapshotFailure)
            throw new IOException($"could not delete the snapshots of run {runId}: {snapshotFailure.Cause.Message}", snapshotFailure.Cause);
    }

    /// <summary>
    /// A run's events journaled after sequence number <paramref name="afterSequenceNr"/> (0: all), each with its sequence
    /// number: what a reader that follows a run going on in another process polls for (the web view).
    /// </summary>
    public async Task<IReadOnlyList<(long SequenceNr, IRunEvent Event)>> EventsAfterAsync(string runId, long afterSequenceNr, CancellationToken cancellationToken = default)
    {
        var query = PersistenceQuery.Get(system).ReadJournalFor<IReadJournal>(queryPluginId) as ICurrentEventsByPersistenceIdQuery
            ?? throw new NotSupportedException($"the read journal {queryPluginId} cannot read a persistence id's events");
        var events = new List<(long, IRunEvent)>();
        await query.CurrentEventsByPersistenceId(SchedulerActor.PersistenceIdOf(runId), afterSequenceNr + 1, long.MaxValue)
            .RunForeach(envelope =>
            {
                if (envelope.Event is IRunEvent e)
                    events.Add((envelope.SequenceNr, e));
            }, system.Materializer())
            .WaitAsync(cancellationToken)
            .ConfigureAwait(false);
        return events;
    }

    /// <summary>A run's events in the order they happened; empty when no run has that id.</summary>
    public async Task<IReadOnlyList<IRunEvent>> EventsAsync(string runId, CancellationToken cancellationToken = default)
    {
        var query = PersistenceQuery.Get(system).ReadJournalFor<IReadJournal>(queryPluginId) as ICurrentEventsByPersistenceIdQuery
            ?? throw new NotSupportedException($"the read journal {queryPluginId} cannot read a persistence id's events");
        var events = new List<IRunEvent>();
        await query.CurrentEventsByPersistenceId(SchedulerActor.PersistenceIdOf(runId), 0, long.MaxValue)
            .RunForeach(envelope =>
            {
                if (envelope.Event is IRunEvent e)
                    events.Add(e);
            }, system.Materializer())
            .WaitAsync(cancellationToken)
            .ConfigureAwait(false);
        return events;
    }
}
