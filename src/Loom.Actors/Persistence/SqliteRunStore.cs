using System.Data.Common;
using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using Akka.Persistence.Sql.Hosting;
using LinqToDB;
using LinqToDB.Interceptors;
using Loom.Actors.Hosting;

namespace Loom.Actors.Persistence;

/// <summary>
/// Loom's embedded journal and snapshot store: SQLite files through Akka.Persistence.Sql, one for the
/// journal and one for snapshots (each SQLite file has one writer at a time; two files keep snapshot
/// writes from waiting on journal writes). Tables are created by the plugins on first use
/// (<c>auto-initialize</c>), the folder by the first connection, and every connection runs in WAL mode
/// with <c>synchronous=NORMAL</c>: a commit is a write to the WAL without an fsync, so it survives the
/// process being killed (only a power loss may lose the last commits, never corrupt the file).
/// </summary>
public static class SqliteRunStore
{
    public static AkkaConfigurationBuilder WithLoomPersistence(this AkkaConfigurationBuilder builder, LoomPersistenceOptions options)
    {
        if (options.SqliteFolder is not { } folder)
            return builder;
        var pragmas = new SqlitePragmas(folder);
        var journal = new SqlJournalOptions(isDefaultPlugin: false, LoomPersistenceOptions.SqlitePluginIdentifier)
        {
            ConnectionString = ConnectionString(folder, LoomPersistenceOptions.JournalFile, options.BusyTimeout),
            ProviderName = ProviderName.SQLiteMS,
            AutoInitialize = true,
        };
        journal.DataOptions = new DataOptions().UseConnectionString(ProviderName.SQLiteMS, journal.ConnectionString).UseInterceptor(pragmas);
        var snapshots = new SqlSnapshotOptions(isDefaultPlugin: false, LoomPersistenceOptions.SqlitePluginIdentifier)
        {
            ConnectionString = ConnectionString(folder, LoomPersistenceOptions.SnapshotFile, options.BusyTimeout),
            ProviderName = ProviderName.SQLiteMS,
            AutoInitialize = true,
        };
        snapshots.DataOptions = new DataOptions().UseConnectionString(ProviderName.SQLiteMS, snapshots.ConnectionString).UseInterceptor(pragmas);
        return builder.WithSqlPersistence(journal, snapshots);
    }

    /// <summary>
    /// Starts the run journal and snapshot store on a pool thread: their actors create the tables
    /// asynchronously, so neither the actor system's start nor the caller waits for SQLite.
    /// </summary>
    public static void WarmUp(ActorSystem system, LoomPersistenceOptions options) =>
        _ = Task.Run(() =>
        {
            try
            {
                var persistence = Akka.Persistence.Persistence.Instance.Apply(system);
                persistence.JournalFor(options.EffectiveJournalPluginId);
                persistence.SnapshotStoreFor(options.EffectiveSnapshotPluginId);
            }
            catch (Exception e)
            {
                // The first run's scheduler asks for the same plugins and reports the failure where it matters.
                system.Log.Warning("Could not start Loom's journal ahead of the first run: {0}", e.Message);
            }
        });

    public static string ConnectionString(string folder, string file, TimeSpan busyTimeout) =>
        $"Data Source={Path.Combine(folder, file)};Default Timeout={Math.Max(1, (int)Math.Ceiling(busyTimeout.TotalSeconds))};Pooling=True";

    /// <summary>The folder before the first connection opens; WAL and <c>synchronous=NORMAL</c> on every connection.</summary>
    private sealed class SqlitePragmas(string folder) : IConnectionInterceptor
    {
        private volatile bool folderExists;

        public void ConnectionOpening(ConnectionEventData eventData, DbConnection connection) => EnsureFolder();

        public Task ConnectionOpeningAsync(ConnectionEventData eventData, DbConnection connection, CancellationToken cancellationToken)
        {
            EnsureFolder();
            return Task.CompletedTask;
        }

        public void ConnectionOpened(ConnectionEventData eventData, DbConnection connection)
        {
            using var command = connection.CreateCommand();
            command.CommandText = Pragmas;
            command.ExecuteNonQuery();
        }

        public async Task ConnectionOpenedAsync(ConnectionEventData eventData, DbConnection connection, CancellationToken cancellationToken)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = Pragmas;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        private const string Pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;";

        private void EnsureFolder()
        {
            if (folderExists)
                return;
            Directory.CreateDirectory(folder);
            folderExists = true;
        }
    }
}
