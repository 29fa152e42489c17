using System.Runtime.InteropServices;
using Akka.Actor;
using Loom.Actors.Protocol;
using Loom.Actors.Scheduling;
using Loom.Cli.History;
using Loom.Cli.Output;
using Loom.Core.Model;
using Loom.Core.Parsing;

namespace Loom.Cli.Commands;

public static class RunCommand
{
    private static readonly HashSet<string> Flags = ["--json", "--plain", "--no-color", "--skip-uses", "--no-cache", WebView.Flag];
    private static readonly HashSet<string> Values = new(WorkflowFiles.LimitOptions.Concat(RunInputs.ValueOptions).Concat(WebView.ValueOptions)) { "--max-parallel", "--job" };
    private static readonly Dictionary<string, string> Aliases = new() { ["-j"] = "--max-parallel" };

    /// <summary><c>loom retry RUN</c>: a new run of RUN's definition that keeps what succeeded and runs the rest.</summary>
    public static Task<int> RetryAsync(string[] args)
    {
        if (args.Length == 0 || args[0].StartsWith('-'))
            throw new UsageException("loom retry needs the run to retry (see 'loom runs')");
        return ExecuteAsync(args[1..], retryOf: args[0]);
    }

    public static async Task<int> ExecuteAsync(string[] args) =>
        ClusterRunCommand.Wants(args) ? await ClusterRunCommand.ExecuteAsync(args) : await ExecuteAsync(args, retryOf: null);

    private static async Task<int> ExecuteAsync(string[] args, string? retryOf)
    {
        var (rest, resume, resumeId) = ResumeOption(args);
        var line = CommandLine.Parse(rest, Flags, Values, Aliases);
        var path = WorkflowFiles.Resolve(line);
        var fullPath = Path.GetFullPath(path);
        var workspace = Workspace(fullPath);
        var limits = WorkflowFiles.Limits(line);
        var maxParallel = line.PositiveInt("--max-parallel");
        var withUi = WebView.Wanted(line);
        if ((resume || retryOf is not null) && RunInputs.ValueOptions.Concat(["--job"]).FirstOrDefault(o => o != "--secrets-file" && line.All(o).Count > 0) is { } fixedOption)
            throw new UsageException($"{fixedOption} cannot be used with {(resume ? "--resume" : "retry")}: a run goes on with the inputs it was started with (only --secrets-file is read again)");
        var runId = resumeId ?? $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Random.Shared.Next(0x10000):x4}";
        // Read (and checked) on a spare core while the actor system starts; a bad file still stops the run before it starts.
        var contextsRead = resume || retryOf is not null ? null : Task.Run(() => RunInputs.From(line, runId, workspace));
        // Parsed there too: a big file's parse (some 15 us a job) no longer waits for the system and then delays the first job.
        var skipUses = line.Has("--skip-uses");
        var workflowRead = resume || retryOf is not null ? null : Task.Run(() => WorkflowLoader.LoadFile(fullPath, limits, new LoadOptions(skipUses), path));

        // The run's output owns stdout. Akka's own console logger writes through Console.Out
        // (e.g. CoordinatedShutdown's exit line, whatever stdout-loglevel says): send that nowhere.
        var stdout = new StreamWriter(Console.OpenStandardOutput(), bufferSize: 64 * 1024) { AutoFlush = false };
        Console.SetOut(TextWriter.Null);
        await using var loom = await EmbeddedLoom.StartAsync(workspace, limits, MaxLogBytes());
        // Only with --ui: nothing else reaches the web view's assemblies.
        await using var ui = withUi ? await WebView.StartAsync(loom, workspace, line, limits, $"loom run {path}") : null;
        if (ui is not null)
            Console.Error.WriteLine($"loom: web view at {ui.Url}");
        var (subscriber, notifications) = loom.Subscribe();
        LoomProtocol.SubmitRun submit;
        IReadOnlyList<IRunEvent> before = [];
        if (resume)
        {
            (submit, before) = await ResumedRunAsync(loom, workspace, resumeId, line, subscriber);
            runId = submit.RunId;
        }
        else if (retryOf is not null)
        {
            submit = await RetriedRunAsync(loom, workspace, retryOf, runId, line, subscriber, limits);
        }
        else
        {
            submit = new LoomProtocol.SubmitRun(runId, fullPath, path, workspace, line.All("--job"), maxParallel, subscriber)
            {
                Contexts = await contextsRead!,
                Loaded = await workflowRead!,
                SkipUses = skipUses,
                NoCache = line.Has("--no-cache"),
            };
        }
        // Runs of one concurrency group wait for each other: the guardian holds the run until its group is free.
        submit = submit with { HoldForGroup = true };
        using var runLock = RunLock.TryAcquire(workspace, runId, out var holder)
            ?? throw new UsageException($"run {runId} is going on in {holder}; two loom processes never write one run");
        await using var reporter = ChooseReporter(line, stdout);
        var interruption = 0;
        var signals = 0;
        // A second signal stops waiting for always()/cancelled() work: disposing the actor system
        // stops every runner, and a stopping runner kills its step's process group.
        using var forceQuit = new CancellationTokenSource();
        using var groupWait = new CancellationTokenSource();
        GroupLock? groupLock = null;
        // With --ui the view stays after the run, until a signal ends it: the exit code is still the run's.
        TaskCompletionSource? lingering = null;
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);

        foreach (var notification in before.OfType<IRunNotification>())
        {
            reporter.Handle(notification);
            ui?.Publish(runId, notification);
        }

        loom.Guardian.Tell(submit);
        Result? result = null;
        try
        {
            while (await WaitAsync(notifications, forceQuit.Token))
            {
                while (notifications.TryRead(out var batch))
                {
                    foreach (var notification in batch)
                    {
                        ui?.Publish(runId, notification);
                        switch (notification)
                        {
                            case LoomProtocol.RunHeld held:
                                reporter.Handle(held);
                                reporter.Flush();
                                try
                                {
                                    groupLock = await GroupLock.AcquireAsync(workspace, held.Group, held.RunId, held.CancelInProgress, Waiting, groupWait.Token);
                                }
                                catch (OperationCanceledException)
                                {
                                    // Interrupted while waiting: the run never started and nothing was journaled.
                                    return interruption;
                                }
                                loom.Guardian.Tell(new LoomProtocol.ReleaseRun(held.RunId));
                                continue;
                        }
                        if (!Show(notification, reporter, ref result))
                            return ExitCodes.Usage;
                    }
                }
                reporter.Flush();
            }
        }
        finally
        {
            groupLock?.Dispose();
        }

        if (ui is not null && result is not null && interruption == 0)
        {
            await reporter.DisposeAsync();
            var linger = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref lingering, linger);
            Console.Error.WriteLine($"loom: run {runId} {result.Value.ToWire()}; the web view stays at {ui.Url} until Ctrl-C");
            await linger.Task;
        }
        return ExitCode(interruption, result);

        // What the group lock found: shown as a cluster's coordinator's word is.
        void Waiting(LoomProtocol.RunWaiting waiting)
        {
            ui?.Publish(runId, waiting);
            Result? unchanged = null;
            Show(waiting, reporter, ref unchanged);
            reporter.Flush();
        }

        void Cancel(PosixSignalContext context)
        {
            // The run ends by itself once its steps are killed; the process must not die first.
            context.Cancel = true;
            if (Volatile.Read(ref lingering) is { } linger)
            {
                linger.TrySetResult();
                return;
            }
            Interlocked.CompareExchange(ref interruption, context.Signal == PosixSignal.SIGINT ? ExitCodes.Interrupted : ExitCodes.Terminated, 0);
            SignalHandling.TryCancel(groupWait);
            if (Interlocked.Increment(ref signals) == 1)
                loom.Guardian.Tell(new LoomProtocol.CancelRun(runId, context.Signal == PosixSignal.SIGINT ? "interrupted (SIGINT); again to stop at once" : "terminated (SIGTERM)"));
            else
                SignalHandling.TryCancel(forceQuit);
        }
    }

    /// <summary>
    /// Shows one notification of a run, local or on a cluster: warnings and errors go to stderr, the rest to the reporter.
    /// False when the run was refused (its errors are printed).
    /// </summary>
    internal static bool Show(IRunNotification notification, IRunReporter reporter, ref Result? result)
    {
        switch (notification)
        {
            case LoomProtocol.RunRejected rejected:
                reporter.Flush();
                foreach (var error in rejected.Errors)
                    Console.Error.WriteLine(error);
                return false;
            case LoomProtocol.RunAccepted accepted:
                foreach (var warning in accepted.Warnings)
                    Console.Error.WriteLine(warning);
                break;
            case LoomProtocol.RunWaiting waiting:
                reporter.Flush();
                Console.Error.WriteLine(waiting.Line());
                break;
            case RunEvents.RunFinished finished:
                result = finished.Result;
                break;
        }
        reporter.Handle(notification);
        return true;
    }

    /// <summary>Spec §5: the signal that interrupted the run, else its result.</summary>
    internal static int ExitCode(int interruption, Result? result) =>
        interruption != 0 ? interruption : result == Result.Success ? ExitCodes.Success : ExitCodes.Failure;

    /// <summary>
    /// <c>--resume</c>, <c>--resume RUN</c> or <c>--resume=RUN</c>: the token after <c>--resume</c> is a run id
    /// unless it is an option or an existing file (the workflow).
    /// </summary>
    private static (string[] Arguments, bool Resume, string? RunId) ResumeOption(string[] args)
    {
        var rest = new List<string>(args.Length);
        var resume = false;
        string? runId = null;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i].StartsWith("--resume=", StringComparison.Ordinal))
            {
                (resume, runId) = (true, args[i]["--resume=".Length..]);
                continue;
            }
            if (args[i] != "--resume")
            {
                rest.Add(args[i]);
                continue;
            }
            resume = true;
            if (i + 1 < args.Length && !args[i + 1].StartsWith('-') && !File.Exists(args[i + 1]))
                runId = args[++i];
        }
        if (runId is { Length: 0 })
            throw new UsageException("--resume= needs a run id (see 'loom runs')");
        return (rest.ToArray(), resume, runId);
    }

    /// <summary>
    /// The run to go on with: <paramref name="runId"/>, or the newest run that did not finish and that no live loom
    /// holds; with its journaled events, which the reporter is shown first.
    /// </summary>
    private static async Task<(LoomProtocol.SubmitRun Submit, IReadOnlyList<IRunEvent> Before)> ResumedRunAsync(EmbeddedLoom loom, string workspace, string? runId, CommandLine line, IActorRef subscriber)
    {
        var journal = loom.History();
        var runs = await journal.RunsAsync();
        var run = runId is not null
            ? runs.FirstOrDefault(r => r.RunId == runId) ?? throw new UsageException($"no run '{runId}' in {RunHistory.JournalPath(workspace)} (see 'loom runs')")
            : runs.FirstOrDefault(r => r.Result is null && !RunLock.IsHeld(workspace, r.RunId))
              ?? throw new UsageException($"no interrupted run to resume in {RunHistory.JournalPath(workspace)} (see 'loom runs')");
        if (run.Result is { } result)
            throw new UsageException($"run {run.RunId} finished ({result.ToWire()}): nothing to resume; 'loom retry {run.RunId}' runs its failed jobs again");
        var events = await journal.EventsAsync(run.RunId);
        var defined = events.OfType<RunEvents.RunDefined>().FirstOrDefault()
            ?? throw new UsageException($"run {run.RunId} was recorded without its definition and cannot be resumed");
        var submit = new LoomProtocol.SubmitRun(run.RunId, defined.WorkflowPath, defined.DisplayPath, workspace, defined.Jobs,
            line.PositiveInt("--max-parallel") ?? defined.MaxParallel, subscriber)
        {
            Contexts = defined.Contexts with { Secrets = RunInputs.Secrets(line) },
            SkipUses = defined.SkipUses,
            WorkflowText = defined.WorkflowText,
            NoCache = defined.NoCache,
            Resume = true,
        };
        return (submit, events);
    }

    /// <summary>A new run of <paramref name="retryOf"/>'s recorded definition, carrying its jobs that succeeded.</summary>
    internal static async Task<LoomProtocol.SubmitRun> RetriedRunAsync(EmbeddedLoom loom, string workspace, string retryOf, string runId, CommandLine line,
        IActorRef subscriber, Core.Parsing.ParseLimits limits)
    {
        var journal = loom.History();
        var run = (await journal.RunsAsync()).FirstOrDefault(r => r.RunId == retryOf)
            ?? throw new UsageException($"no run '{retryOf}' in {RunHistory.JournalPath(workspace)} (see 'loom runs')");
        if (run.Result is null)
            throw new UsageException($"run {retryOf} did not finish: 'loom run --resume {retryOf}' goes on with it");
        RunEvents.RunDefined defined;
        IReadOnlyDictionary<string, CarriedJob> carried;
        try
        {
            (defined, carried) = RetryPlanner.Plan(retryOf, await journal.EventsAsync(retryOf), limits);
        }
        catch (InvalidOperationException e)
        {
            throw new UsageException(e.Message);
        }
        var loomContext = new Dictionary<string, string>(defined.Contexts.Loom) { ["run_id"] = runId };
        return new LoomProtocol.SubmitRun(runId, defined.WorkflowPath, defined.DisplayPath, workspace, defined.Jobs,
            line.PositiveInt("--max-parallel") ?? defined.MaxParallel, subscriber)
        {
            Contexts = defined.Contexts with { Loom = loomContext, Secrets = RunInputs.Secrets(line) },
            SkipUses = defined.SkipUses,
            WorkflowText = defined.WorkflowText,
            NoCache = line.Has("--no-cache"),
            Carried = carried,
        };
    }

    /// <summary><c>LOOM_MAX_LOG_BYTES</c>: the most output kept per step log file (default 16 MiB; at least 1024).</summary>
    private static long MaxLogBytes()
    {
        if (Environment.GetEnvironmentVariable("LOOM_MAX_LOG_BYTES") is not { Length: > 0 } text)
            return Loom.Actors.Hosting.LoomStepLogOptions.DefaultMaxFileBytes;
        return long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var bytes) && bytes >= 1024
            ? bytes
            : throw new UsageException($"LOOM_MAX_LOG_BYTES must be a whole number of bytes, at least 1024, not '{text}'");
    }

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

    /// <summary>The folder steps run in: the file's folder, or the repository root for <c>.github/workflows/*.yml</c>.</summary>
    public static string Workspace(string fullPath) => Loom.Actors.Client.LoomClientBase.WorkspaceOf(fullPath);

    internal static IRunReporter ChooseReporter(CommandLine line, TextWriter stdout)
    {
        if (line.Has("--json"))
            return new JsonReporter(stdout);
        var terminal = !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("TERM") is not (null or "dumb");
        var colour = terminal && !line.Has("--no-color") && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));
        return terminal && !line.Has("--plain")
            ? new LiveReporter(stdout, new Style(colour))
            : new PlainReporter(stdout, new Style(colour));
    }
}
