using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

namespace Loom.Actors.Persistence;

/// <summary>
/// Opens one of Loom's SQLite files the same way everywhere: the folder created on first use, WAL mode
/// with <c>synchronous=NORMAL</c> (a commit is a write to the WAL without an fsync: it survives the
/// process being killed; a power loss may lose the last commits, never corrupt the file) and a busy
/// timeout, so a second <c>loom</c> in the workspace waits for the lock instead of failing.
/// </summary>
internal static class SqliteFile
{
    private static readonly ConcurrentDictionary<string, Task<SqliteConnection>> Preopened = new(StringComparer.Ordinal);

    /// <summary>
    /// Starts opening a plugin's file before the plugin exists (at process start, on a spare core: loading SQLite
    /// and opening the file is then off the first run's path); the plugin takes it with <see cref="TakePreopened"/>.
    /// </summary>
    public static void Preopen(string path, TimeSpan busyTimeout, string schema) =>
        Preopened.GetOrAdd(path, _ => Task.Run(() => Open(path, busyTimeout, schema)));

    public static Task<SqliteConnection>? TakePreopened(string path) => Preopened.TryRemove(path, out var opening) ? opening : null;

    public static SqliteConnection Open(string path, TimeSpan busyTimeout, string schema)
    {
        if (Path.GetDirectoryName(path) is { Length: > 0 } folder)
            Directory.CreateDirectory(folder);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Pooling = false,
            DefaultTimeout = Math.Max(1, (int)Math.Ceiling(busyTimeout.TotalSeconds)),
        }.ToString());
        try
        {
            connection.Open();
            Execute(connection, $"PRAGMA busy_timeout={(long)busyTimeout.TotalMilliseconds}; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
            Execute(connection, schema);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public static SqliteCommand Command(SqliteConnection connection, string sql, params string[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters)
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        return command;
    }
}
