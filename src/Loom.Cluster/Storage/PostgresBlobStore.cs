using System.Data;
using Loom.Core.Workspaces;
using Npgsql;
using NpgsqlTypes;

namespace Loom.Cluster.Storage;

/// <summary>Content that does not match the hash it was given or stored under.</summary>
public sealed class BlobHashMismatchException(string hash, string actual)
    : Exception($"content given as {hash} hashes to {actual}: refused")
{
    public string Hash { get; } = hash;
}

/// <summary>
/// The cluster's content-addressed store of workspace files: table <c>loom_blobs(hash, size, data)</c>, one row per
/// content, created on first use. A row is whole or absent (<see cref="BlobUpload"/> assembles chunks before it
/// writes), so "which of these do you lack" is one indexed lookup. Content is checked against its hash both ways:
/// a put of other content is refused, and a read of a damaged row throws.
/// </summary>
public sealed class PostgresBlobStore(NpgsqlDataSource dataSource)
{
    /// <summary>Less than PostgreSQL's 1 GB limit on one bytea value, leaving room for the protocol.</summary>
    public const long MaxBlobBytes = 1000L * 1000 * 1000;

    private readonly PostgresTable table = new(dataSource,
        "CREATE TABLE IF NOT EXISTS loom_blobs (hash text PRIMARY KEY, size bigint NOT NULL, data bytea NOT NULL)");

    /// <summary>Those of <paramref name="hashes"/> the store lacks, each once, in the order given; one round trip.</summary>
    public async Task<IReadOnlyList<string>> MissingAsync(IEnumerable<string> hashes, CancellationToken cancellationToken = default)
    {
        var wanted = hashes.Distinct(StringComparer.Ordinal).Select(Checked).ToArray();
        if (wanted.Length == 0)
            return [];
        await table.EnsureAsync(cancellationToken);
        await using var command = dataSource.CreateCommand("SELECT hash FROM loom_blobs WHERE hash = ANY(@hashes)");
        command.Parameters.AddWithValue("hashes", wanted);
        var present = new HashSet<string>(StringComparer.Ordinal);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
                present.Add(reader.GetString(0));
        }
        return wanted.Where(h => !present.Contains(h)).ToArray();
    }

    /// <summary>Stores <paramref name="content"/> under <paramref name="hash"/>; storing what is there already is a no-op.</summary>
    /// <exception cref="BlobHashMismatchException">The content's hash is another.</exception>
    public Task PutAsync(string hash, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        var actual = BlobHash.Of(content.Span);
        if (actual != Checked(hash))
            throw new BlobHashMismatchException(hash, actual);
        return InsertAsync(hash, content.Length, new NpgsqlParameter<ReadOnlyMemory<byte>>("data", NpgsqlDbType.Bytea) { TypedValue = content }, cancellationToken);
    }

    /// <summary>Stores content the caller has checked against <paramref name="hash"/> already (<see cref="BlobUpload"/>), read from <paramref name="content"/>'s position.</summary>
    internal Task PutCheckedAsync(string hash, Stream content, long size, CancellationToken cancellationToken) =>
        InsertAsync(hash, size, new NpgsqlParameter("data", NpgsqlDbType.Bytea) { Value = content, Size = checked((int)size) }, cancellationToken);

    /// <summary>The content of <paramref name="hash"/>, or null when the store lacks it.</summary>
    /// <exception cref="BlobHashMismatchException">The stored row is damaged.</exception>
    public async Task<byte[]?> GetAsync(string hash, CancellationToken cancellationToken = default)
    {
        var content = new MemoryStream();
        return await CopyToAsync(hash, content, cancellationToken) ? content.ToArray() : null;
    }

    /// <summary>Streams the content of <paramref name="hash"/> into <paramref name="destination"/>, checking it on the way.</summary>
    /// <returns>False when the store lacks it (nothing was written).</returns>
    /// <exception cref="BlobHashMismatchException">The stored row is damaged (what was written must be thrown away).</exception>
    public async Task<bool> CopyToAsync(string hash, Stream destination, CancellationToken cancellationToken = default)
    {
        Checked(hash);
        await table.EnsureAsync(cancellationToken);
        await using var command = dataSource.CreateCommand("SELECT data FROM loom_blobs WHERE hash = @hash");
        command.Parameters.AddWithValue("hash", hash);
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
            return false;
        await using var data = await reader.GetStreamAsync(0, cancellationToken);
        var (actual, _) = await BlobHash.CopyAsync(data, destination, cancellationToken);
        return actual == hash ? true : throw new BlobHashMismatchException(hash, actual);
    }

    private async Task InsertAsync(string hash, long size, NpgsqlParameter data, CancellationToken cancellationToken)
    {
        if (size > MaxBlobBytes)
            throw new ArgumentOutOfRangeException(nameof(size), size, $"a blob is limited to {MaxBlobBytes} bytes");
        await table.EnsureAsync(cancellationToken);
        // A concurrent put of the same content waits for the first and then does nothing.
        await using var command = dataSource.CreateCommand(
            "INSERT INTO loom_blobs (hash, size, data) VALUES (@hash, @size, @data) ON CONFLICT (hash) DO NOTHING");
        command.Parameters.AddWithValue("hash", hash);
        command.Parameters.AddWithValue("size", size);
        command.Parameters.Add(data);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>A hash becomes part of SQL parameters and cache file names: anything but 64 lowercase hex digits is refused.</summary>
    internal static string Checked(string hash) =>
        BlobHash.IsValid(hash) ? hash : throw new ArgumentException($"'{hash}' is not a SHA-256 content hash", nameof(hash));
}
