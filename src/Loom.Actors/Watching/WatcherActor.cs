using Akka.Actor;
using Akka.Event;
using Loom.Actors.Protocol;
using Loom.Core.Parsing;

namespace Loom.Actors.Watching;

/// <summary>
/// Loads workflow files, and watches the file of each run going on so its scheduler hears of
/// edits. Holds no state worth keeping: restarted by its supervisor, it only drops its watches.
/// </summary>
public sealed class WatcherActor : UntypedActor, IWithTimers
{
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(50);
    private readonly ILoggingAdapter log = Context.GetLogger();
    private readonly Dictionary<IActorRef, FileSystemWatcher> watches = [];
    private readonly ParseLimits limits;

    public WatcherActor(ParseLimits limits)
    {
        this.limits = limits;
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(ParseLimits limits) => ActorProps.Of(() => new WatcherActor(limits));

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case WatcherProtocol.Load load:
                Sender.Tell(new WatcherProtocol.Loaded(load.Request, LoadAs(load.Request, limits)));
                break;
            case WatcherProtocol.WatchDuringRun request:
                Watch(request);
                break;
            case WatcherProtocol.FileTouched touched:
                // Editors write in bursts (truncate, write, rename): report once they settle.
                if (watches.ContainsKey(touched.Scheduler))
                    Timers.StartSingleTimer(touched.Scheduler, new WatcherProtocol.ReportChange(touched.Scheduler, touched.Path), Settle);
                break;
            case WatcherProtocol.ReportChange change:
                if (watches.ContainsKey(change.Scheduler))
                    change.Scheduler.Tell(new SchedulerProtocol.WorkflowFileChanged(change.Path));
                break;
            case Terminated t:
                if (watches.Remove(t.ActorRef, out var watcher))
                    watcher.Dispose();
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>
    /// Loads by full path but names the file in errors the way the user typed it, and a <c>.loom.yml</c> after the folder
    /// of its full path (where it was submitted from: a cluster's coordinator has the submitter's); a resumed run loads the
    /// text it recorded, whatever the file holds now; a request that comes loaded (<c>loom run</c>'s) is taken as it is.
    /// </summary>
    private static LoadResult LoadAs(LoomProtocol.SubmitRun request, ParseLimits limits) =>
        request.Loaded ?? (request.WorkflowText is { } text
            ? WorkflowLoader.Load(request.DisplayPath, text, limits, new LoadOptions(request.SkipUses), request.WorkflowPath)
            : WorkflowLoader.LoadFile(request.WorkflowPath, limits, new LoadOptions(request.SkipUses), request.DisplayPath));

    private void Watch(WatcherProtocol.WatchDuringRun request)
    {
        var path = Path.GetFullPath(request.WorkflowPath);
        var self = Self;
        var scheduler = request.Scheduler;
        try
        {
            var watcher = new FileSystemWatcher(Path.GetDirectoryName(path)!, Path.GetFileName(path))
            {
                NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size,
            };
            FileSystemEventHandler onChange = (_, _) => self.Tell(new WatcherProtocol.FileTouched(scheduler, request.DisplayPath));
            watcher.Changed += onChange;
            watcher.Created += onChange;
            watcher.Renamed += (_, _) => self.Tell(new WatcherProtocol.FileTouched(scheduler, request.DisplayPath));
            watcher.EnableRaisingEvents = true;
            watches[scheduler] = watcher;
            Context.Watch(scheduler);
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            // inotify limits or a vanished folder: the run goes on, it just will not hear of edits.
            log.Warning("Cannot watch {0}: {1}", path, e.Message);
        }
    }

    protected override void PostStop()
    {
        foreach (var watcher in watches.Values)
            watcher.Dispose();
    }
}

/// <summary>
/// Local messages of the watcher (never leave the node: it watches this node's files), so marked as needing no
/// serialization check: <c>serialize-messages = on</c> checks only what may cross the wire.
/// </summary>
public static class WatcherProtocol
{
    public sealed record Load(LoomProtocol.SubmitRun Request) : INoSerializationVerificationNeeded;

    public sealed record Loaded(LoomProtocol.SubmitRun Request, LoadResult Result) : INoSerializationVerificationNeeded;

    public sealed record WatchDuringRun(string WorkflowPath, string DisplayPath, IActorRef Scheduler) : INoSerializationVerificationNeeded;

    internal sealed record FileTouched(IActorRef Scheduler, string Path) : INoSerializationVerificationNeeded;

    internal sealed record ReportChange(IActorRef Scheduler, string Path) : INoSerializationVerificationNeeded;
}
