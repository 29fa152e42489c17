using System.Runtime.InteropServices;
using Akka.Actor;
using Loom.Actors.Protocol;
using Loom.Cli.Output;
using Loom.Core.Model;

namespace Loom.Cli.Commands;

public static class RunCommand
{
    private static readonly HashSet<string> Flags = ["--json", "--plain", "--no-color", "--skip-uses"];
    private static readonly HashSet<string> Values = new(WorkflowFiles.LimitOptions.Concat(RunInputs.ValueOptions)) { "--max-parallel", "--job" };
    private static readonly Dictionary<string, string> Aliases = new() { ["-j"] = "--max-parallel" };

    public static async Task<int> ExecuteAsync(string[] args)
    {
        var line = CommandLine.Parse(args, Flags, Values, Aliases);
        var path = WorkflowFiles.Resolve(line);
        var fullPath = Path.GetFullPath(path);
        var workspace = Workspace(fullPath);
        var limits = WorkflowFiles.Limits(line);
        var maxParallel = line.PositiveInt("--max-parallel");
        var runId = $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Random.Shared.Next(0x10000):x4}";
        // Read (and checked) on a spare core while the actor system starts; a bad file still stops the run before it starts.
        var contextsRead = Task.Run(() => RunInputs.From(line, runId, workspace));

        // The run's output owns stdout. Akka's own console logger writes through Console.Out
        // (e.g. CoordinatedShutdown's exit line, whatever stdout-loglevel says): send that nowhere.
        var stdout = new StreamWriter(Console.OpenStandardOutput(), bufferSize: 64 * 1024) { AutoFlush = false };
        Console.SetOut(TextWriter.Null);
        await using var loom = await EmbeddedLoom.StartAsync(workspace, limits);
        var contexts = await contextsRead;
        var (subscriber, notifications) = loom.Subscribe();
        await using var reporter = ChooseReporter(line, stdout);
        var interruption = 0;
        var signals = 0;
        // A second signal stops waiting for always()/cancelled() work: disposing the actor system
        // stops every runner, and a stopping runner kills its step's process group.
        using var forceQuit = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);

        loom.Guardian.Tell(new LoomProtocol.SubmitRun(runId, fullPath, path, workspace, line.All("--job"), maxParallel, subscriber)
        {
            Contexts = contexts,
            SkipUses = line.Has("--skip-uses"),
        });
        Result? result = null;
        while (await WaitAsync(notifications, forceQuit.Token))
        {
            while (notifications.TryRead(out var batch))
            {
                foreach (var notification in batch)
                {
                    switch (notification)
                    {
                        case LoomProtocol.RunRejected rejected:
                            reporter.Flush();
                            foreach (var error in rejected.Errors)
                                Console.Error.WriteLine(error);
                            return ExitCodes.Usage;
                        case LoomProtocol.RunAccepted accepted:
                            foreach (var warning in accepted.Warnings)
                                Console.Error.WriteLine(warning);
                            break;
                        case RunEvents.RunFinished finished:
                            result = finished.Result;
                            break;
                    }
                    reporter.Handle(notification);
                }
            }
            reporter.Flush();
        }

        return interruption != 0 ? interruption
            : result == Result.Success ? ExitCodes.Success
            : ExitCodes.Failure;

        void Cancel(PosixSignalContext context)
        {
            // The run ends by itself once its steps are killed; the process must not die first.
            context.Cancel = true;
            Interlocked.CompareExchange(ref interruption, context.Signal == PosixSignal.SIGINT ? ExitCodes.Interrupted : ExitCodes.Terminated, 0);
            if (Interlocked.Increment(ref signals) == 1)
                loom.Guardian.Tell(new LoomProtocol.CancelRun(runId, context.Signal == PosixSignal.SIGINT ? "interrupted (SIGINT); again to stop at once" : "terminated (SIGTERM)"));
            else
                forceQuit.Cancel();
        }
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
    public static string Workspace(string fullPath)
    {
        var folder = Path.GetDirectoryName(fullPath)!;
        var parent = Directory.GetParent(folder);
        return Path.GetFileName(folder) == "workflows" && parent is { Name: ".github", Parent: { } root } ? root.FullName : folder;
    }

    private static IRunReporter ChooseReporter(CommandLine line, TextWriter stdout)
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
