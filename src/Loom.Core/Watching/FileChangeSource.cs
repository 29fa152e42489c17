namespace Loom.Core.Watching;

/// <summary>How a <see cref="FileChangeSource"/> watches.</summary>
public sealed record FileChangeSourceOptions
{
    public const string PollVariable = "LOOM_WATCH_POLL";

    /// <summary>Poll instead of using native events (network and container file systems often send none).</summary>
    public bool Poll { get; init; }

    public TimeSpan PollingInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Polling when <c>LOOM_WATCH_POLL=1</c>.</summary>
    public static FileChangeSourceOptions FromEnvironment() =>
        new() { Poll = Environment.GetEnvironmentVariable(PollVariable) == "1" };
}

/// <summary>
/// Reports the workspace files that change (created, written, deleted, renamed: both names), as paths relative to
/// the workspace, leaving out ignored paths and editor artifacts. Uses native events (a recursive
/// <see cref="FileSystemWatcher"/>) and falls back to polling when they cannot be had (inotify limits) or fail.
/// A full event buffer is reported as <see cref="FileChange.EventsLost"/>. A changed .gitignore refreshes
/// <see cref="Rules"/> before it is reported. The callback runs on a background thread and must be thread-safe
/// (an actor's <c>Tell</c> is); it is not called once <see cref="Dispose"/> has returned.
/// </summary>
public sealed class FileChangeSource : IDisposable
{
    /// <summary>The largest buffer Windows accepts; on Linux the kernel's inotify queue is what bounds events.</summary>
    private const int EventBufferBytes = 64 * 1024;

    private readonly Action<FileChange> onChange;
    private readonly FileChangeSourceOptions options;
    private readonly Lock gate = new();
    private FileSystemWatcher? watcher;
    private WorkspacePoller? poller;
    private bool disposed;

    private FileChangeSource(string workspace, IgnoreRules rules, Action<FileChange> onChange, FileChangeSourceOptions options)
    {
        Workspace = workspace;
        Rules = rules;
        this.onChange = onChange;
        this.options = options;
    }

    public string Workspace { get; }

    public IgnoreRules Rules { get; }

    /// <summary>Polling rather than native events.</summary>
    public bool IsPolling
    {
        get
        {
            lock (gate)
                return poller is not null;
        }
    }

    /// <summary>Why native events are not used (the error that made it poll), for the log; null when they are or polling was asked for.</summary>
    public string? FallbackReason { get; private set; }

    /// <summary>Starts watching <paramref name="workspace"/>; changes from this moment on are reported.</summary>
    public static FileChangeSource Start(string workspace, IgnoreRules rules, Action<FileChange> onChange, FileChangeSourceOptions? options = null)
    {
        var source = new FileChangeSource(Path.GetFullPath(workspace), rules, onChange, options ?? new FileChangeSourceOptions());
        lock (source.gate)
        {
            if (source.options.Poll)
                source.StartPolling();
            else
                source.StartNative();
        }
        return source;
    }

    public void Dispose()
    {
        lock (gate)
        {
            disposed = true;
            watcher?.Dispose();
            watcher = null;
            poller?.Dispose();
            poller = null;
        }
    }

    private void StartNative()
    {
        var native = new FileSystemWatcher(Workspace)
        {
            IncludeSubdirectories = true,
            InternalBufferSize = EventBufferBytes,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
        };
        native.Created += (_, e) => Appeared(e.FullPath);
        native.Changed += (_, e) => Written(e.FullPath);
        native.Deleted += (_, e) => Vanished(e.FullPath);
        native.Renamed += (_, e) =>
        {
            Vanished(e.OldFullPath);
            Appeared(e.FullPath);
        };
        native.Error += (_, e) => Failed(e.GetException());
        try
        {
            native.EnableRaisingEvents = true;
            watcher = native;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            native.Dispose();
            FallbackReason = e.Message;
            StartPolling();
        }
    }

    private void StartPolling() =>
        poller = new WorkspacePoller(Workspace, Rules, options.PollingInterval, path => Report(FileChange.Of(path)));

    /// <summary>A file or folder created or renamed into place: a new folder's files are reported one by one.</summary>
    private void Appeared(string fullPath)
    {
        if (Relative(fullPath) is not { } path || EditorArtifacts.IsArtifact(path))
            return;
        if (Directory.Exists(fullPath))
        {
            if (Rules.IsIgnored(path, isDirectory: true))
                return;
            // Files written into a new folder before its watch was added raise no event of their own.
            foreach (var (file, _) in WorkspaceWalk.Files(Workspace, Rules, path))
                Report(FileChange.Of(file));
        }
        else if (!Rules.IsIgnored(path, isDirectory: false))
        {
            Report(FileChange.Of(path));
        }
    }

    /// <summary>Content written; a folder's own changes (entries added) are reported through those entries.</summary>
    private void Written(string fullPath)
    {
        if (Relative(fullPath) is { } path && !EditorArtifacts.IsArtifact(path) && !Directory.Exists(fullPath)
            && !Rules.IsIgnored(path, isDirectory: false))
            Report(FileChange.Of(path));
    }

    /// <summary>Deleted or renamed away: whether it was a folder is no longer known, so it counts if either kind counts.</summary>
    private void Vanished(string fullPath)
    {
        if (Relative(fullPath) is { } path && !EditorArtifacts.IsArtifact(path)
            && !Rules.IsIgnored(path, isDirectory: false) && !Rules.IsIgnored(path, isDirectory: true))
            Report(FileChange.Of(path));
    }

    private void Failed(Exception error)
    {
        if (error is not InternalBufferOverflowException)
        {
            // The watcher is broken (e.g. no inotify watch left for a new folder): poll from here on.
            lock (gate)
            {
                if (disposed || poller is not null)
                    return;
                watcher?.Dispose();
                watcher = null;
                FallbackReason = error.Message;
                StartPolling();
            }
        }
        Report(FileChange.EventsLost);
    }

    private void Report(FileChange change)
    {
        if (change.RelativePath is { } path)
            Rules.Refresh(path);
        if (!Volatile.Read(ref disposed))
            onChange(change);
    }

    /// <summary>The '/'-separated path below the workspace; null for the workspace itself or a path outside it.</summary>
    private string? Relative(string fullPath)
    {
        var relative = Path.GetRelativePath(Workspace, fullPath);
        if (relative is "." or ".." || relative.StartsWith("../", StringComparison.Ordinal) || Path.IsPathRooted(relative))
            return null;
        return relative.Replace('\\', '/');
    }
}
