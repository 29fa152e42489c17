using Npgsql;

namespace Loom.Cluster.Tests.Storage;

/// <summary>
/// The PostgreSQL server of the tests: <c>LOOM_TEST_POSTGRES</c>, an Npgsql connection string (tests/run.sh starts a
/// throwaway server and sets it). Each test gets a schema of its own as its search path, dropped afterwards, so the
/// stores' tables of one test are not another's.
/// </summary>
public sealed class TestSchema : IAsyncDisposable
{
    public const string ServerVariable = "LOOM_TEST_POSTGRES";
    public const string RequiredVariable = "LOOM_REQUIRE_POSTGRES";

    private readonly string server;

    private TestSchema(string server, string name)
    {
        this.server = server;
        Name = name;
        DataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(server) { SearchPath = name }.ConnectionString);
    }

    public static string? Server => Environment.GetEnvironmentVariable(ServerVariable) is { Length: > 0 } s ? s : null;

    /// <summary>Why a PostgreSQL test does not run here; null when it runs (and then fails if the server is missing).</summary>
    public static string? SkipReason => Server is null && Environment.GetEnvironmentVariable(RequiredVariable) != "1"
        ? $"needs PostgreSQL: run tests/run.sh, which starts a throwaway server, or set {ServerVariable} to an Npgsql connection string"
        : null;

    public string Name { get; }

    /// <summary>Connections whose search path is this schema.</summary>
    public NpgsqlDataSource DataSource { get; }

    public static async Task<TestSchema> CreateAsync()
    {
        var server = Server ?? throw new InvalidOperationException(
            $"{RequiredVariable}=1 but {ServerVariable} is not set: PostgreSQL tests cannot run. tests/run.sh starts a server and sets it.");
        var name = "loom_test_" + Guid.NewGuid().ToString("N");
        await using var connection = new NpgsqlConnection(server);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE SCHEMA {name}", connection);
        await create.ExecuteNonQueryAsync();
        return new TestSchema(server, name);
    }

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        await using var connection = new NpgsqlConnection(server);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {Name} CASCADE", connection);
        await drop.ExecuteNonQueryAsync();
    }
}

/// <summary>A test on PostgreSQL: skipped with a reason unless a server is set or required (then it fails without one).</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute() => Skip = TestSchema.SkipReason;
}

/// <summary>A theory on PostgreSQL: skipped with a reason unless a server is set or required (then it fails without one).</summary>
public sealed class PostgresTheoryAttribute : TheoryAttribute
{
    public PostgresTheoryAttribute() => Skip = TestSchema.SkipReason;
}
