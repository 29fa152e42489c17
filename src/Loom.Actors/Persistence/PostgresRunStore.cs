using Akka.Hosting;
using Akka.Persistence.Sql.Config;
using Akka.Persistence.Sql.Hosting;
using Loom.Actors.Hosting;
using LinqToDB;
using Npgsql;

namespace Loom.Actors.Persistence;

/// <summary>
/// Runs journaled on PostgreSQL through Akka.Persistence.Sql (linq2db): journal, snapshot store and read journal
/// registered as the plugins <c>loom-postgres</c> when <see cref="LoomPersistenceOptions.PostgresConnectionString"/> is set.
/// </summary>
/// <remarks>
/// Its own class, apart from <see cref="SqliteRunStore"/>: a SQLite <c>loom run</c> never compiles a method that
/// names Akka.Persistence.Sql's or linq2db's types, so it never loads those assemblies.
/// </remarks>
public static class PostgresRunStore
{
    public static AkkaConfigurationBuilder WithPostgresRunStore(this AkkaConfigurationBuilder builder, string connectionString)
    {
        var journal = new SqlJournalOptions(isDefaultPlugin: false, identifier: LoomPersistenceOptions.PostgresPluginIdentifier)
        {
            ConnectionString = connectionString,
            ProviderName = ProviderName.PostgreSQL15,
            AutoInitialize = true,
            // Tags in their own table: events by tag are found through an index, not a LIKE over every event.
            TagStorageMode = TagMode.TagTable,
            DatabaseOptions = JournalDatabaseOptions.Default,
        };
        var snapshots = new SqlSnapshotOptions(isDefaultPlugin: false, identifier: LoomPersistenceOptions.PostgresPluginIdentifier)
        {
            ConnectionString = connectionString,
            ProviderName = ProviderName.PostgreSQL15,
            AutoInitialize = true,
            DatabaseOptions = SnapshotDatabaseOptions.Default,
        };
        return builder.WithSqlPersistence(journal, snapshots);
    }

    public static bool IsValidConnectionString(string? connectionString)
    {
        try
        {
            return !string.IsNullOrWhiteSpace(new NpgsqlConnectionStringBuilder(connectionString).Host);
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
