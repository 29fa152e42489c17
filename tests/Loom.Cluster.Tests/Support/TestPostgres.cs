using Npgsql;

namespace Loom.Cluster.Tests.Support;

/// <summary>
/// The PostgreSQL server of the tests: <c>LOOM_TEST_POSTGRES</c>, an Npgsql connection string (tests/run.sh starts a
/// throwaway server and sets it). Each test gets a database of its own, dropped afterwards, so no test sees another's runs.
/// </summary>
public sealed class TestPostgres : IAsyncDisposable
{
    public const string ServerVariable = "LOOM_TEST_POSTGRES";
    public const string RequiredVariable = "LOOM_REQUIRE_POSTGRES";

    private readonly string server;

    private TestPostgres(string server, string database)
    {
        this.server = server;
        Database = database;
        ConnectionString = new NpgsqlConnectionStringBuilder(server) { Database = database }.ConnectionString;
    }

    public static string? Server => Environment.GetEnvironmentVariable(ServerVariable) is { Length: > 0 } s ? s : null;

    public static bool Required => Environment.GetEnvironmentVariable(RequiredVariable) == "1";

    /// <summary>Why a PostgreSQL test does not run here; null when it runs (and then fails if the server is missing).</summary>
    public static string? SkipReason => Server is null && !Required
        ? $"needs PostgreSQL: run tests/run.sh, which starts a throwaway server, or set {ServerVariable} to an Npgsql connection string"
        : null;

    public string Database { get; }

    /// <summary>The connection string of this test's own database.</summary>
    public string ConnectionString { get; }

    public static async Task<TestPostgres> CreateDatabaseAsync()
    {
        var server = Server ?? throw new InvalidOperationException(
            $"{RequiredVariable}=1 but {ServerVariable} is not set: PostgreSQL tests cannot run. tests/run.sh starts a server and sets it.");
        var database = "loom_test_" + Guid.NewGuid().ToString("N");
        await using var connection = new NpgsqlConnection(server);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE {database}", connection);
        await create.ExecuteNonQueryAsync();
        return new TestPostgres(server, database);
    }

    public async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(server);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Database} WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}

/// <summary>A fact that needs PostgreSQL: skipped with a reason unless a server is set, and failing when one is required but missing.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute() => Skip = TestPostgres.SkipReason;
}
