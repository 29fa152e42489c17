using Npgsql;

namespace Loom.Cluster.Storage;

/// <summary>
/// A table a store creates on first use, in the first schema of the connection's search path. Processes starting
/// together take an advisory lock first: two concurrent <c>CREATE TABLE IF NOT EXISTS</c> can still collide in
/// PostgreSQL's catalog.
/// </summary>
internal sealed class PostgresTable(NpgsqlDataSource dataSource, string ddl)
{
    private const long DdlLock = 0x4C6F6F6D_5461626C; // "LoomTabl"

    private readonly SemaphoreSlim gate = new(1, 1);
    private volatile bool created;

    /// <summary>Creates the table unless this instance did already; a failure is retried at the next call.</summary>
    public async ValueTask EnsureAsync(CancellationToken cancellationToken)
    {
        if (created)
            return;
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (created)
                return;
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using (var command = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({DdlLock}); {ddl}", connection, transaction))
                await command.ExecuteNonQueryAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            created = true;
        }
        finally
        {
            gate.Release();
        }
    }
}
