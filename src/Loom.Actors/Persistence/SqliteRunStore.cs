using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using Loom.Actors.Hosting;
using Loom.Actors.Protocol;
using Loom.Core.Model;

namespace Loom.Actors.Persistence;

/// <summary>
/// Loom's embedded run store: <see cref="SqliteJournal"/> (<c>journal.db</c>), <see cref="SqliteSnapshotStore"/>
/// (<c>snapshots.db</c>) and <see cref="SqliteReadJournal"/>, registered as the Akka.Persistence plugins
/// <c>loom-sqlite</c> when <see cref="LoomPersistenceOptions.SqliteFolder"/> is set.
/// </summary>
public static class SqliteRunStore
{
    /// <summary>Registers the store <paramref name="options"/> choose: SQLite, PostgreSQL, or none (the host's plugins).</summary>
    public static AkkaConfigurationBuilder WithLoomPersistence(this AkkaConfigurationBuilder builder, LoomPersistenceOptions options)
    {
        if (options.PostgresConnectionString is { } connectionString)
            return builder.WithPostgresRunStore(connectionString);
        if (options.SqliteFolder is not { } folder)
            return builder;
        var journal = Quoted(Path.Combine(folder, LoomPersistenceOptions.JournalFile));
        var snapshots = Quoted(Path.Combine(folder, LoomPersistenceOptions.SnapshotFile));
        var busy = $"{(long)options.BusyTimeout.TotalMilliseconds}ms";
        var groupCommit = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{options.GroupCommit.TotalMilliseconds}ms");
        var id = LoomPersistenceOptions.SqlitePluginIdentifier;
        return builder.AddHocon($$"""
            akka.persistence.journal.{{id}} {
              class = "{{typeof(SqliteJournal).AssemblyQualifiedName}}"
              path = {{journal}}
              busy-timeout = {{busy}}
              group-commit = {{groupCommit}}
            }
            akka.persistence.snapshot-store.{{id}} {
              class = "{{typeof(SqliteSnapshotStore).AssemblyQualifiedName}}"
              path = {{snapshots}}
              busy-timeout = {{busy}}
            }
            akka.persistence.query.journal.{{id}} {
              class = "{{typeof(SqliteReadJournalProvider).AssemblyQualifiedName}}"
              path = {{journal}}
              busy-timeout = {{busy}}
            }
            """, HoconAddMode.Prepend);
    }

    /// <summary>
    /// Opens the embedded store's two files ahead of its plugins, before the actor system exists: what a process
    /// that is about to start a run calls first. The plugins take the connections when Akka creates them.
    /// </summary>
    public static void Preopen(LoomPersistenceOptions options)
    {
        if (options.SqliteFolder is not { } folder)
            return;
        SqliteFile.Preopen(Path.Combine(folder, LoomPersistenceOptions.JournalFile), options.BusyTimeout, SqliteJournal.Schema);
        SqliteFile.Preopen(Path.Combine(folder, LoomPersistenceOptions.SnapshotFile), options.BusyTimeout, SqliteSnapshotStore.Schema);
    }

    /// <summary>
    /// Starts the run journal and snapshot store on a pool thread as the actor system starts (each opens its
    /// file on another), so the first run's scheduler finds them ready.
    /// </summary>
    public static void WarmUp(ActorSystem system, LoomPersistenceOptions options) =>
        _ = Task.Run(() =>
        {
            try
            {
                var persistence = Akka.Persistence.Persistence.Instance.Apply(system);
                persistence.JournalFor(options.EffectiveJournalPluginId);
                persistence.SnapshotStoreFor(options.EffectiveSnapshotPluginId);
                WarmUpSerializer(system);
            }
            catch (Exception e)
            {
                // The first run's scheduler asks for the same plugins and reports the failure where it matters.
                system.Log.Warning("Could not start Loom's journal ahead of the first run: {0}", e.Message);
            }
        });

    /// <summary>
    /// Every run journals these events; their first serialization jits System.Text.Json's metadata for them
    /// (some 600 methods): done here, on a spare core, it is not on the run's path.
    /// </summary>
    private static void WarmUpSerializer(ActorSystem system)
    {
        var at = DateTimeOffset.UtcNow;
        IRunEvent[] samples =
        [
            new RunEvents.RunStarted("warm-up", "warm-up", ["a"], 1, at),
            new RunEvents.JobQueued("a", at),
            new RunEvents.JobStarted("a", 1, at),
            new RunEvents.StepStarted("a", 0, "step", at),
            new RunEvents.StepFinished("a", 0, Result.Success, Result.Success, 0, TimeSpan.Zero, null, at),
            new RunEvents.JobFinished("a", Result.Success, false, null, TimeSpan.Zero, at),
            new RunEvents.JobSkipped("a", Result.Skipped, "warm-up", at),
            new RunEvents.RunFinished(Result.Success, TimeSpan.Zero, at),
        ];
        foreach (var sample in samples)
            system.Serialization.FindSerializerFor(sample).ToBinary(sample);
    }

    private static string Quoted(string path) => "\"" + path.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
