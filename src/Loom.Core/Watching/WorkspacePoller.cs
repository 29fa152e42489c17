namespace Loom.Core.Watching;

/// <summary>
/// Polling: compares a fresh walk of the workspace with the previous one every interval and reports the files created,
/// modified (write time or size) or replaced (creation time, standing in for the inode, which .NET does not expose)
/// and deleted.
/// </summary>
internal sealed class WorkspacePoller : IDisposable
{
    private readonly string workspace;
    private readonly IgnoreRules rules;
    private readonly Action<string> report;
    // Never disposed: it has no timer, and the loop may still be reading its token when Dispose returns.
    private readonly CancellationTokenSource stop = new();
    private readonly Lock gate = new();
    private bool disposed;
    private Dictionary<string, FileStamp> previous;

    public WorkspacePoller(string workspace, IgnoreRules rules, TimeSpan interval, Action<string> report)
    {
        this.workspace = workspace;
        this.rules = rules;
        this.report = report;
        previous = Snapshot(); // the baseline: only what changes after this is reported
        _ = Task.Run(() => Loop(interval, stop.Token));
    }

    /// <summary>Nothing is reported once this returns; a walk in progress finishes on its own thread, unheard (no waiting for it here).</summary>
    public void Dispose()
    {
        lock (gate)
            disposed = true;
        stop.Cancel();
    }

    private async Task Loop(TimeSpan interval, CancellationToken cancel)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancel))
                Compare();
        }
        catch (OperationCanceledException)
        {
            // disposed
        }
    }

    private void Report(string path)
    {
        lock (gate)
        {
            if (!disposed)
                report(path);
        }
    }

    private void Compare()
    {
        var current = Snapshot();
        foreach (var (path, stamp) in current)
        {
            if (!previous.TryGetValue(path, out var before) || before != stamp)
                Report(path);
        }
        foreach (var path in previous.Keys)
        {
            if (!current.ContainsKey(path))
                Report(path);
        }
        previous = current;
    }

    private Dictionary<string, FileStamp> Snapshot()
    {
        var files = new Dictionary<string, FileStamp>(StringComparer.Ordinal);
        foreach (var (path, file) in WorkspaceWalk.Files(workspace, rules, ""))
        {
            try
            {
                files[path] = new FileStamp(file.LastWriteTimeUtc.Ticks, file.Length, file.CreationTimeUtc.Ticks);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // deleted between the listing and the stat: the next poll reports it
            }
        }
        return files;
    }

    private readonly record struct FileStamp(long WriteTicks, long Size, long CreationTicks);
}
