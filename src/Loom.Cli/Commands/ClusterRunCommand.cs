using System.Runtime.InteropServices;
using Loom.Cluster.Client;
using Loom.Cluster.Protocol;
using Loom.Core.Model;
using Loom.Core.Workspaces;

namespace Loom.Cli.Commands;

/// <summary>
/// <c>loom run --cluster HOST:PORT [FILE]</c>: the workflow is checked here, the workspace's files are sent (only what the
/// cluster lacks), and the run is shown live as a local one is, with the same exit code; <c>--detach</c> prints the run id and returns.
/// </summary>
public static class ClusterRunCommand
{
    private static readonly HashSet<string> Flags = ["--json", "--plain", "--no-color", "--skip-uses", "--no-cache", "--detach"];
    private static readonly HashSet<string> Values = new(WorkflowFiles.LimitOptions.Concat(RunInputs.ValueOptions)) { "--max-parallel", "--job", "--cluster", "--max-upload-size", "--cluster-secret-file", "--tls-certificate", "--tls-certificate-password-file" };
    private static readonly Dictionary<string, string> Aliases = new() { ["-j"] = "--max-parallel" };

    public static bool Wants(string[] args) => args.Any(a => a == "--cluster" || a.StartsWith("--cluster=", StringComparison.Ordinal));

    public static async Task<int> ExecuteAsync(string[] args)
    {
        var line = CommandLine.Parse(args, Flags, Values, Aliases);
        var contacts = line.All("--cluster").SelectMany(c => c.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
        if (contacts.Count == 0 || !contacts.All(IsHostAndPort))
            throw new UsageException($"--cluster needs a node as HOST:PORT{(contacts.Count == 0 ? "" : $", not '{contacts.First(c => !IsHostAndPort(c))}'")}");
        ClusterClientSecurity security;
        try
        {
            security = ClusterClientSecurity.Load(line.Value("--cluster-secret-file"), line.Value("--tls-certificate"), line.Value("--tls-certificate-password-file"));
        }
        catch (InvalidDataException e)
        {
            throw new UsageException(e.Message);
        }
        var path = WorkflowFiles.Resolve(line);
        var fullPath = Path.GetFullPath(path);
        var workspace = RunCommand.Workspace(fullPath);
        var limits = WorkflowFiles.Limits(line);
        // A bad file is reported here, with its file:line:col errors, before anything is sent.
        if (WorkflowFiles.LoadOrReport(path, limits, line) is null)
            return ExitCodes.Usage;
        var text = await File.ReadAllTextAsync(fullPath);
        var runId = $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Random.Shared.Next(0x10000):x4}";
        var contexts = RunInputs.From(line, runId, workspace);
        var maxUpload = line.Value("--max-upload-size") is { } size ? ParseSize(size) : WorkspaceScanner.DefaultMaxTotalBytes;
        WorkspaceManifest manifest;
        try
        {
            manifest = WorkspaceScanner.Scan(workspace, maxUpload);
        }
        catch (WorkspaceTooLargeException e)
        {
            throw new UsageException(e.Message);
        }

        var stdout = new StreamWriter(Console.OpenStandardOutput(), bufferSize: 64 * 1024) { AutoFlush = false };
        Console.SetOut(TextWriter.Null);
        await using var submitter = await ClusterSubmitter.ConnectAsync(contacts, security);
        string files;
        try
        {
            files = await submitter.UploadAsync(manifest, workspace, CancellationToken.None);
        }
        catch (Exception e) when (e is ClusterRequestException or IOException or InvalidOperationException)
        {
            // Unreachable, no answer, refused (a wrong or missing cluster secret), or a file the cluster did not store.
            throw new UsageException(e.Message);
        }
        var submit = new ClusterProtocol.SubmitRun(runId, text, fullPath, path, files, line.All("--job"), line.PositiveInt("--max-parallel"), contexts,
            line.Has(WorkflowFiles.SkipUses), line.Has("--no-cache"), Follow: !line.Has("--detach"));
        if (line.Has("--detach"))
        {
            try
            {
                await submitter.SubmitDetachedAsync(submit, CancellationToken.None);
            }
            catch (InvalidOperationException e)
            {
                Console.Error.WriteLine(e.Message);
                return ExitCodes.Usage;
            }
            catch (ClusterRequestException e)
            {
                throw new UsageException(e.Message);
            }
            await stdout.WriteLineAsync(runId);
            await stdout.FlushAsync();
            return ExitCodes.Success;
        }

        await using var reporter = RunCommand.ChooseReporter(line, stdout);
        var interruption = 0;
        var signals = 0;
        using var forceQuit = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
        var notifications = submitter.Follow(submit);
        Result? result = null;
        try
        {
            while (await notifications.WaitToReadAsync(forceQuit.Token))
            {
                while (notifications.TryRead(out var notification))
                    if (!RunCommand.Show(notification, reporter, ref result))
                        // Refused, or interrupted while it waited for its concurrency group (it never started): as a local run.
                        return interruption != 0 ? interruption : ExitCodes.Usage;
                reporter.Flush();
            }
        }
        catch (OperationCanceledException)
        {
            // A second signal: stop showing the run (it is being cancelled on the cluster).
        }
        return RunCommand.ExitCode(interruption, result);

        void Cancel(PosixSignalContext context)
        {
            context.Cancel = true;
            Interlocked.CompareExchange(ref interruption, context.Signal == PosixSignal.SIGINT ? ExitCodes.Interrupted : ExitCodes.Terminated, 0);
            if (Interlocked.Increment(ref signals) == 1)
                submitter.Cancel(runId, context.Signal == PosixSignal.SIGINT ? "interrupted (SIGINT); again to stop watching" : "terminated (SIGTERM)");
            else
                SignalHandling.TryCancel(forceQuit);
        }
    }

    private static bool IsHostAndPort(string contact) =>
        contact.LastIndexOf(':') is var colon and > 0 && int.TryParse(contact.AsSpan(colon + 1), out var port) && port is > 0 and < 65536;

    private static long ParseSize(string text) =>
        long.TryParse(text, out var bytes) && bytes > 0 ? bytes : throw new UsageException($"--max-upload-size must be a number of bytes, not '{text}'");
}
