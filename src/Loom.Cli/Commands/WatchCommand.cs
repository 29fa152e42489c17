using System.Globalization;
using System.Runtime.InteropServices;
using Akka.Actor;
using Loom.Actors.Protocol;
using Loom.Cli.History;
using Loom.Cli.Output;
using static Loom.Actors.Protocol.WatchProtocol;

namespace Loom.Cli.Commands;

/// <summary><c>loom watch [FILE]</c>: runs the workflow, then runs again what each change of the workspace concerns.</summary>
public static class WatchCommand
{
    public const string Help = """
        Usage: loom watch [FILE] [options]

        Runs the workflow, then keeps watching its workspace. A change to a file a job lists in
        'inputs' (globs) runs that job and its dependents again; a job without 'inputs' reacts to any
        file of the workspace except .git, .loom and what .gitignore excludes. What a job writes while
        it runs (and its 'produces') never triggers it again. Each cycle is a run of its own (see
        'loom runs'); the jobs it does not run keep their last result and outputs. Saving the workflow
        file reloads it: if it is invalid its errors are shown and the previous version stays in force;
        if not, the jobs whose definition changed run again with their dependents.
        Ctrl-C ends the session (cancelling a running cycle) and exits 130.

        Options:
          --debounce MS          quiet time that closes a batch of changes (default 50)
          --on-busy POLICY       changes while a cycle runs: queue (default: run them after it),
                                 restart (cancel it, killing its steps, and run again), ignore
          --poll                 poll the files (every 250 ms) instead of native events; also LOOM_WATCH_POLL=1.
                                 Loom polls by itself when native events cannot be had (inotify limits)
          --keep-runs N          cycle runs kept in the journal (default 20); older ones are deleted
          -j, --max-parallel N   most jobs at once
          --json                 one JSON object per event (NDJSON)
          --ui                   a live web view of the cycles' runs on 127.0.0.1, its address printed on stderr
          --ui-port PORT         the web view's port (default: a free one); see docs/web.md
          --plain                plain lines even on a terminal
          --no-color             no colours (also when NO_COLOR is set)
          --var, --vars-file, --input, --secrets-file, --event, --event-file   as for 'loom run'

        """;

    private static readonly HashSet<string> Flags = ["--json", "--plain", "--no-color", WorkflowFiles.SkipUses, "--poll", WebView.Flag];
    private static readonly HashSet<string> Values = new(WorkflowFiles.LimitOptions.Concat(RunInputs.ValueOptions).Concat(WebView.ValueOptions))
        { "--max-parallel", "--debounce", "--on-busy", "--keep-runs" };
    private static readonly Dictionary<string, string> Aliases = new() { ["-j"] = "--max-parallel" };

    public static async Task<int> ExecuteAsync(string[] args)
    {
        var line = CommandLine.Parse(args, Flags, Values, Aliases);
        var path = WorkflowFiles.Resolve(line);
        var fullPath = Path.GetFullPath(path);
        var workspace = RunCommand.Workspace(fullPath);
        var limits = WorkflowFiles.Limits(line);
        var withUi = WebView.Wanted(line);
        var sessionId = $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Random.Shared.Next(0x10000):x4}";
        var settings = new WatchSettings(fullPath, path, workspace, line.PositiveInt("--max-parallel"), RunInputs.From(line, sessionId, workspace),
            line.Has(WorkflowFiles.SkipUses), Debounce(line), OnBusyOf(line), line.Has("--poll") || FileChangeSourcePoll(),
            line.PositiveInt("--keep-runs") ?? WatchSettings.DefaultKeepRuns);

        // As for 'loom run': the output owns stdout, Akka's console logger goes nowhere.
        var stdout = new StreamWriter(Console.OpenStandardOutput(), bufferSize: 64 * 1024) { AutoFlush = false };
        Console.SetOut(TextWriter.Null);
        await using var loom = await EmbeddedLoom.StartAsync(workspace, limits);
        await using var ui = withUi ? await WebView.StartAsync(loom, workspace, line, limits, $"loom watch {path}") : null;
        if (ui is not null)
            Console.Error.WriteLine($"loom: web view at {ui.Url}");
        var (subscriber, notifications) = loom.Subscribe(n => n is WatchEnded);
        var output = new WatchOutput(line, stdout, workspace);
        var interruption = 0;
        var signals = 0;
        using var forceQuit = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        loom.Guardian.Tell(new StartWatch(sessionId, settings, subscriber));
        try
        {
            while (await WaitAsync(notifications, forceQuit.Token))
            {
                while (notifications.TryRead(out var batch))
                {
                    foreach (var notification in batch)
                    {
                        ui?.Publish(notification);
                        if (notification is LoomProtocol.RunRejected rejected && !output.CycleSeen)
                        {
                            // The workflow does not load: nothing ran.
                            await output.DisposeAsync();
                            foreach (var error in rejected.Errors)
                                Console.Error.WriteLine(error);
                            return ExitCodes.Usage;
                        }
                        await output.HandleAsync(notification);
                    }
                }
                output.Flush();
            }
        }
        finally
        {
            await output.DisposeAsync();
        }
        return interruption != 0 ? interruption : ExitCodes.Failure;

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            Interlocked.CompareExchange(ref interruption, context.Signal == PosixSignal.SIGINT ? ExitCodes.Interrupted : ExitCodes.Terminated, 0);
            if (Interlocked.Increment(ref signals) == 1)
                loom.Guardian.Tell(new StopWatch(sessionId, context.Signal == PosixSignal.SIGINT ? "interrupted (SIGINT); again to stop at once" : "terminated (SIGTERM)"));
            else
                SignalHandling.TryCancel(forceQuit);
        }
    }

    private static bool FileChangeSourcePoll() => Core.Watching.FileChangeSourceOptions.FromEnvironment().Poll;

    private static TimeSpan Debounce(CommandLine line)
    {
        var text = line.Value("--debounce");
        if (text is null)
            return Core.Watching.ChangeBatcher.DefaultQuiet;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms <= 60_000
            ? TimeSpan.FromMilliseconds(ms)
            : throw new UsageException($"--debounce needs milliseconds from 0 to 60000, not '{text}'");
    }

    private static OnBusy OnBusyOf(CommandLine line) => line.Value("--on-busy") switch
    {
        null or "queue" => OnBusy.Queue,
        "restart" => OnBusy.Restart,
        "ignore" => OnBusy.Ignore,
        var other => throw new UsageException($"--on-busy needs queue, restart or ignore, not '{other}'"),
    };

    private static async Task<bool> WaitAsync<T>(System.Threading.Channels.ChannelReader<T> reader, CancellationToken token)
    {
        try
        {
            return await reader.WaitToReadAsync(token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// Each cycle through a reporter of its own (as one 'loom run' would show it), the session's own lines between
    /// (plain text, or the notifications as NDJSON). Holds each cycle's run lock while it runs and deletes forgotten runs' folders.
    /// </summary>
    private sealed class WatchOutput(CommandLine line, TextWriter stdout, string workspace) : IAsyncDisposable
    {
        private readonly bool json = line.Has("--json");
        private readonly List<string> deferred = [];
        private IRunReporter? reporter;
        private JsonReporter? jsonLines;
        private RunLock? runLock;

        public bool CycleSeen { get; private set; }

        public async Task HandleAsync(IRunNotification notification)
        {
            switch (notification)
            {
                case Watching w:
                    Say(w, $"watching {w.Workspace}{(w.Polling ? $" (polling{(w.FallbackReason is { } why ? $": {why}" : "")})" : "")}; Ctrl-C to stop");
                    break;
                case CycleStarting c:
                    CycleSeen = true;
                    await EndCycleAsync();
                    runLock = RunLock.TryAcquire(workspace, c.RunId, out _);
                    Say(c, $"cycle {c.Cycle} (run {c.RunId}): {(c.Reasons.Count == 0 ? "every job" : string.Join("; ", c.Reasons))}");
                    reporter = RunCommand.ChooseReporter(line, stdout);
                    break;
                case ChangesWhileBusy b:
                    Say(b, $"{b.Action}: {string.Join("; ", b.Reasons)}");
                    break;
                case WorkflowReloaded r:
                    var what = r.Added.Count + r.Removed.Count + r.Changed.Count == 0
                        ? "no job changed"
                        : string.Join(", ", new[] { ("changed", r.Changed), ("added", r.Added), ("removed", r.Removed) }
                            .Where(p => p.Item2.Count > 0).Select(p => $"{p.Item1} {string.Join(" ", p.Item2)}"));
                    Say(r, $"{r.Path} reloaded: {what}");
                    break;
                case WorkflowRejected r:
                    foreach (var error in r.Errors)
                        Console.Error.WriteLine(error);
                    Say(r, $"{r.Path} has errors; the previous version stays in force");
                    break;
                case RunsForgotten f:
                    foreach (var runId in f.RunIds)
                        DeleteRunFolder(runId);
                    if (json)
                        Say(f, "");
                    break;
                case WatchEnded e:
                    await EndCycleAsync();
                    Say(e, $"watch ended: {e.Reason}");
                    break;
                case LoomProtocol.RunRejected rejected:
                    foreach (var error in rejected.Errors)
                        Console.Error.WriteLine(error);
                    await EndCycleAsync();
                    break;
                case RunEvents.RunFinished:
                    reporter?.Handle(notification);
                    await EndCycleAsync();
                    break;
                default:
                    reporter?.Handle(notification);
                    break;
            }
        }

        public void Flush()
        {
            reporter?.Flush();
            stdout.Flush();
        }

        public async ValueTask DisposeAsync()
        {
            await EndCycleAsync();
            stdout.Flush();
        }

        private async Task EndCycleAsync()
        {
            runLock?.Dispose();
            runLock = null;
            if (reporter is null)
                return;
            await reporter.DisposeAsync();
            reporter = null;
            foreach (var text in deferred)
                stdout.WriteLine(text);
            deferred.Clear();
        }

        /// <summary>A session line: the notification itself under --json, else <paramref name="text"/>.</summary>
        private void Say(IRunNotification notification, string text)
        {
            if (json)
                (jsonLines ??= new JsonReporter(stdout)).Handle(notification);
            else if (reporter is LiveReporter)
                deferred.Add("watch: " + text); // the live view owns the screen until its cycle ends
            else
                stdout.WriteLine("watch: " + text);
        }

        private void DeleteRunFolder(string runId)
        {
            try
            {
                Directory.Delete(RunLock.FolderOf(workspace, runId), recursive: true);
            }
            catch (DirectoryNotFoundException)
            {
            }
            catch (IOException e)
            {
                Console.Error.WriteLine($"loom: warning: cannot delete {RunLock.FolderOf(workspace, runId)}: {e.Message}");
            }
        }
    }
}
