using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using Akka.Actor;
using Loom.Actors.Hosting;
using Loom.Actors.Persistence;
using Loom.Actors.Protocol;
using Loom.Core.Model;
using Loom.Core.Runtime;

namespace Loom.Actors.Client;

/// <summary>
/// What every <see cref="ILoomClient"/> shares, wherever its runs go: run ids, the run's contexts, one
/// <see cref="RunFeed"/> per run it started (its subscriber, which observers read), and the run history from the journal.
/// A subclass sends the run (<see cref="Send"/>) and its cancellation to where runs go: this process's guardian, or a cluster.
/// </summary>
public abstract partial class LoomClientBase : ILoomClient
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);
    private readonly ConcurrentDictionary<string, IActorRef> feeds = new(StringComparer.Ordinal);
    private readonly string? queryPluginId;
    private readonly string defaultWorkspace;

    /// <param name="options">The host's options: the workspace of runs submitted as text, the journal's read side, where step logs go.</param>
    protected LoomClientBase(ActorSystem system, LoomOptions options)
    {
        System = system;
        Options = options;
        queryPluginId = options.Persistence.EffectiveQueryPluginId;
        defaultWorkspace = Path.GetFullPath(options.Workspace ?? Directory.GetCurrentDirectory());
    }

    protected ActorSystem System { get; }

    protected LoomOptions Options { get; }

    /// <summary>A submission made ready to send: the workflow (by path, or its text), where it runs, its contexts.</summary>
    /// <param name="Text">The workflow's text; null for a run of the file at <paramref name="WorkflowPath"/>.</param>
    protected sealed record Submission(string RunId, string WorkflowPath, string DisplayPath, string? Text, string Workspace, LoomRunRequest Request, RunContexts Contexts)
    {
        /// <summary>Set to go on with a run the journal holds unfinished: how it was started.</summary>
        public RunEvents.RunDefined? Resumed { get; init; }

        /// <summary>The run is of a file (its <see cref="Workspace"/> is the file's folder, or the request's), not of text.</summary>
        public bool OfFile { get; init; }

        /// <summary>Set by <see cref="PrepareAsync"/> where runs go elsewhere: the run's files there (a cluster's <c>cluster:&lt;manifest&gt;</c>).</summary>
        public string? RemoteWorkspace { get; init; }

        /// <summary>What preparing the run warned of, added to the loader's warnings.</summary>
        public IReadOnlyList<string> Warnings { get; init; } = [];
    }

    /// <summary>
    /// Makes a submission ready before it is sent (a cluster's client sends the run's files); an exception refuses the run
    /// with its message.
    /// </summary>
    protected virtual Task<Submission> PrepareAsync(Submission submission, CancellationToken cancellationToken) => Task.FromResult(submission);

    /// <summary>Sends the run to where runs go; every notification of it must reach <paramref name="feed"/>, the first being its acceptance or refusal.</summary>
    protected abstract void Send(Submission submission, IActorRef feed);

    /// <summary>Sends the cancellation of a run this client started.</summary>
    protected abstract void Cancel(string runId, string reason);

    /// <summary>A run this client started is over.</summary>
    protected virtual void Ended(string runId)
    {
    }

    /// <summary>The folder of a run's step logs, when they are kept in files here.</summary>
    protected virtual string? LogsFolderOf(string runId) => Options.StepLogs.FolderOf(runId);

    /// <summary>The workflow's text is read by whoever loads it; false when it must travel as text (a cluster).</summary>
    protected virtual bool SendsFilesByPath => true;

    /// <summary>Starts a held run (<see cref="LoomProtocol.RunHeld"/>): its concurrency group is free in this client.</summary>
    protected virtual void Release(string runId)
    {
    }

    /// <summary>This client keeps the runs of one concurrency group apart; false where runs go to whoever does (a cluster's coordinator).</summary>
    protected virtual bool KeepsGroups => true;

    /// <summary>Refuses <see cref="ResumeAsync"/> with this reason; null where runs can be resumed.</summary>
    protected virtual string? ResumeRefusal => null;

    public Task<LoomSubmission> SubmitFileAsync(string path, LoomRunRequest? request = null, CancellationToken cancellationToken = default)
    {
        request ??= new LoomRunRequest();
        var fullPath = Path.GetFullPath(path);
        var workspace = request.Workspace is { } folder ? Path.GetFullPath(folder) : WorkspaceOf(fullPath);
        string? text = null;
        if (!SendsFilesByPath)
        {
            try
            {
                text = File.ReadAllText(fullPath);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return Task.FromResult(Refused(request.RunId ?? "", $"{path}: {e.Message}"));
            }
        }
        return SubmitAsync(fullPath, path, text, workspace, createWorkspace: request.Workspace is not null, request, cancellationToken, ofFile: true);
    }

    public Task<LoomSubmission> SubmitTextAsync(string yaml, LoomRunRequest? request = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        request ??= new LoomRunRequest();
        var workspace = request.Workspace is { } folder ? Path.GetFullPath(folder) : defaultWorkspace;
        return SubmitAsync(Path.Combine(workspace, request.TextName), request.TextName, yaml, workspace, createWorkspace: true, request, cancellationToken);
    }

    /// <param name="createWorkspace">Create the folder the steps run in (a file's own folder is not created: the file is not there).</param>
    private async Task<LoomSubmission> SubmitAsync(string workflowPath, string displayPath, string? text, string workspace, bool createWorkspace, LoomRunRequest request,
        CancellationToken cancellationToken, bool ofFile = false)
    {
        var runId = request.RunId ?? NewRunId();
        if (!IsValidRunId(runId))
            return Refused(runId, $"run id '{runId}' must be 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit");
        if (request.MaxParallel is <= 0)
            return Refused(runId, $"max-parallel must be a positive number, not {request.MaxParallel}");
        RunContexts contexts;
        try
        {
            using var _ = JsonDocument.Parse(request.EventJson);
            if (createWorkspace)
                Directory.CreateDirectory(workspace);
            contexts = Contexts(runId, workspace, request);
        }
        catch (JsonException e)
        {
            return Refused(runId, $"the event payload is not JSON ({e.Message})");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Refused(runId, $"{workspace}: {e.Message}");
        }

        Submission submission;
        try
        {
            submission = await PrepareAsync(new Submission(runId, workflowPath, displayPath, text, workspace, request, contexts) { OfFile = ofFile }, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return Refused(runId, e.Message);
        }
        return await SendAsync(submission, [], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts the run's feed (kept with <paramref name="before"/>) and sends the run; answers once it is accepted or refused.</summary>
    private async Task<LoomSubmission> SendAsync(Submission submission, IReadOnlyList<IRunNotification> before, CancellationToken cancellationToken)
    {
        var runId = submission.RunId;
        var submitted = new TaskCompletionSource<LoomSubmission>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (feeds.ContainsKey(runId))
            return Refused(runId, $"run '{runId}' is already going on");
        IActorRef? feed = null;
        feed = System.ActorOf(RunFeed.Props(runId, submitted, RunEnded, id => feeds.TryRemove(new KeyValuePair<string, IActorRef>(id, feed!)), Held));
        if (!feeds.TryAdd(runId, feed))
        {
            System.Stop(feed);
            return Refused(runId, $"run '{runId}' is already going on");
        }
        if (before.Count > 0)
            feed.Tell(new RunFeed.Seed(before));
        Send(submission, feed);
        var answer = await submitted.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        return submission.Warnings.Count == 0 || !answer.Accepted ? answer : answer with { Warnings = [.. submission.Warnings, .. answer.Warnings] };
    }

    public async Task<LoomSubmission> ResumeAsync(string runId, LoomRunRequest? request = null, CancellationToken cancellationToken = default)
    {
        if (ResumeRefusal is { } refusal)
            return Refused(runId, refusal);
        if (feeds.TryGetValue(runId, out var feed)
            && await AskAsync<RunFeed.Details>(feed, RunFeed.GetDetails.Instance, cancellationToken).ConfigureAwait(false) is { Run.State: LoomRunState.Accepted or LoomRunState.Running })
            return Refused(runId, $"run '{runId}' is going on here: nothing to resume");
        var events = await JournalEventsAsync(runId, cancellationToken).ConfigureAwait(false);
        if (events.Count == 0)
            return Refused(runId, $"no run '{runId}' in the journal");
        if (events.OfType<RunEvents.RunFinished>().FirstOrDefault() is { } finished)
            return Refused(runId, $"run {runId} finished ({finished.Result.ToWire()}): nothing to resume");
        if (events.OfType<RunEvents.RunDefined>().FirstOrDefault() is not { } defined)
            return Refused(runId, $"run {runId} was recorded without its definition and cannot be resumed");
        request ??= new LoomRunRequest();
        if (request.MaxParallel is <= 0)
            return Refused(runId, $"max-parallel must be a positive number, not {request.MaxParallel}");
        var workspace = defined.Workspace ?? WorkspaceOf(defined.WorkflowPath);
        var contexts = defined.Contexts with { Secrets = new Dictionary<string, string>(request.Secrets, StringComparer.OrdinalIgnoreCase) };
        var submission = new Submission(runId, defined.WorkflowPath, defined.DisplayPath, defined.WorkflowText, workspace,
            request with { Jobs = defined.Jobs, MaxParallel = request.MaxParallel ?? defined.MaxParallel, SkipUses = defined.SkipUses, NoCache = defined.NoCache }, contexts)
        {
            Resumed = defined,
        };
        return await SendAsync(submission, events.OfType<IRunNotification>().ToList(), cancellationToken).ConfigureAwait(false);
    }

    // Concurrency groups: the run going on in each group, and the runs waiting for it in the order they came.
    private readonly object groupGate = new();
    private readonly Dictionary<string, (string? Running, List<string> Waiting)> groups = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> groupOf = new(StringComparer.Ordinal);

    /// <summary>A run waits for its group: it starts now if the group is free; with cancel-in-progress the run going on is cancelled.</summary>
    private void Held(LoomProtocol.RunHeld held)
    {
        if (!KeepsGroups)
            return;
        string? release = null;
        string? cancel = null;
        lock (groupGate)
        {
            groupOf[held.RunId] = held.Group;
            if (!groups.TryGetValue(held.Group, out var group))
                groups[held.Group] = group = (null, []);
            if (group.Running is null)
            {
                groups[held.Group] = (held.RunId, group.Waiting);
                release = held.RunId;
            }
            else
            {
                group.Waiting.Add(held.RunId);
                if (held.CancelInProgress)
                    cancel = group.Running;
            }
        }
        if (release is not null)
            Release(release);
        if (cancel is not null)
            Cancel(cancel, $"cancelled by run {held.RunId} of concurrency group '{held.Group}' (cancel-in-progress)");
    }

    /// <summary>A run is over: the next run waiting for its group starts.</summary>
    private void RunEnded(string runId)
    {
        string? next = null;
        lock (groupGate)
        {
            if (groupOf.Remove(runId, out var name) && groups.TryGetValue(name, out var group))
            {
                group.Waiting.Remove(runId);
                if (group.Running == runId)
                {
                    next = group.Waiting.Count > 0 ? group.Waiting[0] : null;
                    if (next is not null)
                        group.Waiting.RemoveAt(0);
                    if (next is null && group.Waiting.Count == 0)
                        groups.Remove(name);
                    else
                        groups[name] = (next, group.Waiting);
                }
            }
        }
        if (next is not null)
            Release(next);
        Ended(runId);
    }

    public async IAsyncEnumerable<IRunNotification> ObserveAsync(string runId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (feeds.TryGetValue(runId, out var feed))
        {
            var channel = Channel.CreateUnbounded<IRunNotification>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
            // The feed answers once it has written what it kept; one that has just stopped does not, and the journal tells instead.
            var observing = await AskAsync<RunFeed.Observing>(feed, new RunFeed.Observe(channel.Writer), cancellationToken).ConfigureAwait(false);
            if (observing is not null)
            {
                try
                {
                    await foreach (var notification in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                        yield return notification;
                }
                finally
                {
                    feed.Tell(new RunFeed.Unobserve(channel.Writer));
                }
                yield break;
            }
        }
        var events = await JournalEventsAsync(runId, cancellationToken).ConfigureAwait(false);
        if (events.Count == 0)
            throw new KeyNotFoundException($"no run '{runId}'");
        foreach (var e in events)
            if (e is IRunNotification notification)
                yield return notification;
    }

    public async Task<bool> CancelAsync(string runId, string? reason = null, CancellationToken cancellationToken = default)
    {
        if (!feeds.TryGetValue(runId, out var feed))
            return false;
        var details = await AskAsync<RunFeed.Details>(feed, RunFeed.GetDetails.Instance, cancellationToken).ConfigureAwait(false);
        if (details?.Run.State is not (LoomRunState.Accepted or LoomRunState.Running))
            return false;
        Cancel(runId, reason ?? "cancelled by the host");
        return true;
    }

    public Task<IReadOnlyList<RunSummary>> RunsAsync(CancellationToken cancellationToken = default) =>
        Journal().RunsAsync(cancellationToken);

    public async Task<LoomRunDetails?> GetRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        if (feeds.TryGetValue(runId, out var feed)
            && await AskAsync<RunFeed.Details>(feed, RunFeed.GetDetails.Instance, cancellationToken).ConfigureAwait(false) is { } live)
            return live.Run with { LogsFolder = live.Run.State == LoomRunState.Rejected ? null : LogsFolderOf(runId) };
        var events = await JournalEventsAsync(runId, cancellationToken).ConfigureAwait(false);
        if (events.Count == 0)
            return null;
        var fold = new RunDetailsFold(runId);
        foreach (var e in events)
            fold.Apply(e);
        return fold.Details(live: false);
    }

    private async Task<IReadOnlyList<IRunEvent>> JournalEventsAsync(string runId, CancellationToken cancellationToken) =>
        queryPluginId is null || !IsValidRunId(runId) ? [] : await Journal().EventsAsync(runId, cancellationToken).ConfigureAwait(false);

    private RunJournal Journal() => new(System, queryPluginId
        ?? throw new NotSupportedException("Loom's journal has no read side it knows: set LoomPersistenceOptions.QueryPluginId to the read journal of the host's journal plugin"));

    private static async Task<T?> AskAsync<T>(IActorRef actor, object message, CancellationToken cancellationToken) where T : class
    {
        try
        {
            return await actor.Ask<T>(message, AskTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (AskTimeoutException)
        {
            return null;
        }
    }

    private static LoomSubmission Refused(string runId, string error) => new(runId, false, [error], []);

    /// <summary>As <c>loom run</c> names runs: the time (UTC) and four random hex digits.</summary>
    public static string NewRunId() => $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Random.Shared.Next(0x10000):x4}";

    /// <summary>A run id names an actor and a folder: letters, digits, '.', '_' and '-' only, never '..'.</summary>
    public static bool IsValidRunId(string runId) => RunIdPattern().IsMatch(runId) && !runId.Contains("..", StringComparison.Ordinal);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")]
    private static partial Regex RunIdPattern();

    /// <summary>The folder a workflow file's steps run in: its own, or the repository's root for <c>.github/workflows/*.yml</c>.</summary>
    public static string WorkspaceOf(string fullPath)
    {
        var folder = Path.GetDirectoryName(fullPath)!;
        var parent = Directory.GetParent(folder);
        return Path.GetFileName(folder) == "workflows" && parent is { Name: ".github", Parent: { } root } ? root.FullName : folder;
    }

    /// <summary>The run's contexts as <c>loom run</c> fills them: the <c>loom</c> values from this machine and the workspace's checkout, and the request's.</summary>
    private static RunContexts Contexts(string runId, string workspace, LoomRunRequest request)
    {
        var loom = RunContexts.LoomOf(runId, workspace, request.EventName);
        return new RunContexts(loom, request.EventJson,
            new Dictionary<string, string>(request.Vars, StringComparer.OrdinalIgnoreCase),
            new Dictionary<string, string>(request.Inputs, StringComparer.OrdinalIgnoreCase),
            new Dictionary<string, string>(request.Secrets, StringComparer.OrdinalIgnoreCase));
    }
}
