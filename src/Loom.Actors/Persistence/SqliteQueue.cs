using Microsoft.Data.Sqlite;

namespace Loom.Actors.Persistence;

/// <summary>
/// One SQLite connection and the statements that use it, run one after another in the order they were
/// queued, on pool threads (Microsoft.Data.Sqlite's calls are synchronous: queued, they never hold the
/// caller's thread). The file is opened by the first item, queued as the plugin starts.
/// </summary>
internal sealed class SqliteQueue : IDisposable
{
    private readonly object gate = new();
    private readonly Task<SqliteConnection> opened;
    private Task tail;

    /// <param name="preopened">Take the connection <see cref="SqliteFile.Preopen"/> started, if any (a plugin's writer; not a reader).</param>
    public SqliteQueue(SqlitePluginSettings settings, string schema, bool preopened = false)
    {
        opened = (preopened ? SqliteFile.TakePreopened(settings.Path) : null)
            ?? Task.Run(() => SqliteFile.Open(settings.Path, settings.BusyTimeout, schema));
        tail = opened;
    }

    /// <inheritdoc cref="Run{T}"/>
    public Task Run(Action<SqliteConnection> work, Func<TimeSpan?>? holdFor = null) => Run(connection =>
    {
        work(connection);
        return true;
    }, holdFor);

    /// <summary>
    /// Queues <paramref name="work"/> after everything queued before it. With <paramref name="holdFor"/>, the item first waits
    /// as long as that says when its turn comes (null: not at all), and what is queued after it waits too, so order is kept.
    /// </summary>
    public Task<T> Run<T>(Func<SqliteConnection, T> work, Func<TimeSpan?>? holdFor = null)
    {
        lock (gate)
        {
            var turn = holdFor is null ? tail : tail.ContinueWith(_ => holdFor() is { } hold ? Task.Delay(hold) : Task.CompletedTask, CancellationToken.None,
                TaskContinuationOptions.DenyChildAttach | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).Unwrap();
            // Each item runs after the one before it, whether that one succeeded or not; only a file that
            // could not be opened fails every item (with the reason it could not).
            var next = turn.ContinueWith(_ => work(opened.GetAwaiter().GetResult()), CancellationToken.None,
                TaskContinuationOptions.DenyChildAttach, TaskScheduler.Default);
            tail = next;
            return next;
        }
    }

    public void Dispose()
    {
        Task last;
        lock (gate)
            last = tail;
        last.ContinueWith(_ =>
        {
            if (opened.IsCompletedSuccessfully)
                opened.Result.Dispose();
        }, TaskScheduler.Default);
    }
}

/// <summary>
/// The keys of a Loom SQLite plugin's HOCON section: <c>path</c> (the file), <c>busy-timeout</c>, and for the journal
/// <c>group-commit</c> (see <see cref="SqliteJournal"/>; <c>0</c> turns it off).
/// </summary>
internal sealed record SqlitePluginSettings(string Path, TimeSpan BusyTimeout, TimeSpan GroupCommit)
{
    public static readonly TimeSpan DefaultGroupCommit = TimeSpan.FromMilliseconds(2);
    public static readonly TimeSpan MaxGroupCommit = TimeSpan.FromSeconds(1);

    public static SqlitePluginSettings From(Akka.Configuration.Config config)
    {
        var path = config.GetString("path", "");
        if (string.IsNullOrWhiteSpace(path) || !System.IO.Path.IsPathRooted(path))
            throw new Akka.Configuration.ConfigurationException($"a Loom SQLite plugin needs a rooted 'path' (got '{path}')");
        var groupCommit = config.GetTimeSpan("group-commit", DefaultGroupCommit);
        if (groupCommit < TimeSpan.Zero || groupCommit > MaxGroupCommit)
            throw new Akka.Configuration.ConfigurationException($"a Loom SQLite plugin's 'group-commit' must be between 0 and 1s (got {groupCommit})");
        return new SqlitePluginSettings(path, config.GetTimeSpan("busy-timeout", TimeSpan.FromSeconds(30)), groupCommit);
    }
}
