using System.Threading.Channels;
using Akka.Actor;
using Loom.Actors.Hosting;
using Loom.Actors.Persistence;
using Loom.Actors.Protocol;
using Loom.Cli.History;
using Loom.Core.Model;
using Loom.Core.Parsing;
using Loom.Web;

namespace Loom.Cli.Commands;

/// <summary>
/// The web view of a workspace (<c>loom run --ui</c>, <c>loom watch --ui</c>): the runs of its journal, this process's runs
/// followed as they go (<see cref="RunHub"/>), the cancel button with <c>loom cancel</c>'s rules and the retry button with
/// <c>loom retry</c>'s (the retried run runs in this process).
/// </summary>
internal sealed class LocalWebView : IWebView, IRunControl
{
    private static readonly TimeSpan StopPatience = TimeSpan.FromSeconds(30);
    private readonly EmbeddedLoom loom;
    private readonly string workspace;
    private readonly CommandLine line;
    private readonly ParseLimits limits;
    private readonly RunHub hub = new();
    private readonly RunJournal journal;
    private readonly Dictionary<string, Task> retries = new(StringComparer.Ordinal);
    private LoomWebServer server = null!;

    private LocalWebView(EmbeddedLoom loom, string workspace, CommandLine line, ParseLimits limits)
    {
        this.loom = loom;
        this.workspace = workspace;
        this.line = line;
        this.limits = limits;
        journal = loom.History();
    }

    public Uri Url => server.Url;

    public string? RetryUnavailable => null;

    public static async Task<IWebView> StartAsync(EmbeddedLoom loom, string workspace, CommandLine line, ParseLimits limits, string title, string? host, int port)
    {
        var view = new LocalWebView(loom, workspace, line, limits);
        var store = new JournalRunStore(view.journal, runId => RunLock.IsHeld(workspace, runId), runId => Path.Combine(RunLock.FolderOf(workspace, runId), "logs"));
        try
        {
            view.server = await LoomWebServer.StartAsync(new WebViewOptions { Host = host ?? WebViewOptions.DefaultHost, Port = port, Title = title }, store, view.hub, view);
        }
        catch (WebViewException e)
        {
            throw new UsageException(e.Message);
        }
        return view;
    }

    public void Publish(IRunNotification notification) => hub.Publish(notification);

    public void Publish(string runId, IRunNotification notification) => hub.Publish(runId, notification);

    /// <summary>A run of this process is cancelled through its scheduler; any other through the <c>loom</c> that holds it (SIGTERM), as <c>loom cancel</c> does.</summary>
    public async Task<ControlResult> CancelAsync(string runId, CancellationToken cancellationToken)
    {
        if (hub.IsGoingOn(runId))
        {
            loom.Guardian.Tell(new LoomProtocol.CancelRun(runId, "cancelled from the web view"));
            return new ControlResult($"cancelling run {runId}");
        }
        var (pid, error) = await RunControlCommands.SignalCancelAsync(workspace, runId, () => journal.RunsAsync(cancellationToken));
        return error is not null ? ControlResult.Refused(error)
            : pid == -1 ? ControlResult.Refused(RunControlCommands.Unidentified(workspace, runId))
            : pid is null ? new ControlResult($"run {runId} ended")
            : new ControlResult($"cancelling run {runId} (pid {pid})");
    }

    /// <summary>
    /// <c>loom retry RUN</c> in this process: a new run of RUN's recorded definition that keeps what succeeded, with this
    /// command's <c>--secrets-file</c>, <c>-j</c> and <c>--no-cache</c>; it holds its lock and waits for its concurrency group as any run does.
    /// </summary>
    public async Task<ControlResult> RetryAsync(string runId, CancellationToken cancellationToken)
    {
        var newId = $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Random.Shared.Next(0x10000):x4}";
        var (subscriber, notifications) = loom.Subscribe();
        LoomProtocol.SubmitRun submit;
        try
        {
            submit = await RunCommand.RetriedRunAsync(loom, workspace, runId, newId, line, subscriber, limits);
        }
        catch (UsageException e)
        {
            loom.System.Stop(subscriber);
            return ControlResult.Refused(e.Message);
        }
        var runLock = RunLock.TryAcquire(workspace, newId, out var holder);
        if (runLock is null)
        {
            loom.System.Stop(subscriber);
            return ControlResult.Refused($"run {newId} is going on in {holder}");
        }
        hub.Expect(newId);
        Console.Error.WriteLine($"loom: run {newId} retries run {runId} (from the web view)");
        lock (retries)
            retries[newId] = Task.Run(() => FollowAsync(submit with { HoldForGroup = true }, notifications, runLock));
        return new ControlResult($"run {newId} retries the failed jobs of run {runId}", RunId: newId);
    }

    /// <summary>Submits a retried run and passes its notifications on until it ends.</summary>
    private async Task FollowAsync(LoomProtocol.SubmitRun submit, ChannelReader<IReadOnlyList<IRunNotification>> notifications, RunLock runLock)
    {
        GroupLock? groupLock = null;
        using var waiting = new CancellationTokenSource();
        var runId = submit.RunId;
        try
        {
            loom.Guardian.Tell(submit);
            await foreach (var batch in notifications.ReadAllAsync())
            {
                foreach (var notification in batch)
                {
                    hub.Publish(runId, notification);
                    switch (notification)
                    {
                        case LoomProtocol.RunHeld held:
                            groupLock = await GroupLock.AcquireAsync(workspace, held.Group, runId, held.CancelInProgress, w =>
                            {
                                hub.Publish(runId, w);
                                Console.Error.WriteLine($"loom: run {runId}: {w.Line()}");
                            }, waiting.Token);
                            loom.Guardian.Tell(new LoomProtocol.ReleaseRun(runId));
                            break;
                        case LoomProtocol.RunRejected rejected:
                            foreach (var error in rejected.Errors)
                                Console.Error.WriteLine($"loom: run {runId}: {error}");
                            break;
                        case RunEvents.RunFinished finished:
                            Console.Error.WriteLine($"loom: run {runId} {finished.Result.ToWire()} ({Output.Style.Duration(finished.Duration)})");
                            break;
                    }
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Console.Error.WriteLine($"loom: run {runId}: {e.Message}");
        }
        finally
        {
            groupLock?.Dispose();
            runLock.Dispose();
            lock (retries)
                retries.Remove(runId);
        }
    }

    /// <summary>Cancels the runs started from the page (their always() steps still run), then stops serving.</summary>
    public async ValueTask DisposeAsync()
    {
        Task[] going;
        lock (retries)
        {
            foreach (var runId in retries.Keys)
                loom.Guardian.Tell(new LoomProtocol.CancelRun(runId, "its loom is stopping"));
            going = retries.Values.ToArray();
        }
        await Task.WhenAny(Task.WhenAll(going), Task.Delay(StopPatience)).ConfigureAwait(false);
        await server.DisposeAsync().ConfigureAwait(false);
    }
}
