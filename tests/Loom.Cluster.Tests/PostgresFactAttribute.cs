using Loom.Actors.Tests.Persistence;

namespace Loom.Cluster.Tests;

/// <summary>A test that needs PostgreSQL: skipped with a reason unless a server is set, failing when one is required and missing.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute() => Skip = TestPostgres.SkipReason;
}
