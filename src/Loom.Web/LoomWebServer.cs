using System.Buffers;
using System.Net;
using System.Text;
using System.Text.Json;
using Loom.Actors.Client;
using Loom.Actors.Persistence;
using Loom.Actors.Protocol;
using Loom.Core.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using static Loom.Actors.Protocol.RunEvents;

namespace Loom.Web;

/// <summary>
/// The web view: pages (Assets/), a JSON API and Server-Sent Events, on Kestrel at a loopback address.
/// <list type="bullet">
/// <item><c>GET /api/runs[?state=running|success|failure|cancelled|interrupted]</c>, and <c>/api/runs/stream</c> (SSE <c>runs</c>: the list whenever it changes)</item>
/// <item><c>GET /api/runs/{id}</c>: the run and its graph (jobs, needs, matrix)</item>
/// <item><c>GET /api/runs/{id}/events</c> (SSE): the run's notifications as <c>loom run --json</c> prints them, from its start, then live; <c>end</c> at its end</item>
/// <item><c>GET /api/runs/{id}/log?unit=U&amp;attempt=N</c> (SSE <c>lines</c>): a job attempt's log from its start, then as it is written</item>
/// <item><c>POST /api/runs/{id}/cancel</c>, <c>POST /api/runs/{id}/retry</c> (with header <c>X-Loom-Request</c>)</item>
/// <item><c>GET /api/cluster</c> on a node</item>
/// </list>
/// Requests must name the view's own address as their Host (no DNS rebinding); state-changing ones must carry a header a
/// page of another site cannot send without asking (no cross-site request forgery).
/// </summary>
public sealed class LoomWebServer : IAsyncDisposable
{
    public const string RequestHeader = "X-Loom-Request";
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);
    // Served as application/json and shown through textContent: no need to escape quotes and the like as \uXXXX.
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly WebApplication app;
    private readonly WebViewOptions options;
    private readonly IRunStore store;
    private readonly RunHub? hub;
    private readonly IRunControl? control;
    private readonly IClusterView? cluster;
    private readonly CancellationTokenSource stopping = new();
    private HashSet<string> hosts = [];

    private LoomWebServer(WebApplication app, WebViewOptions options, IRunStore store, RunHub? hub, IRunControl? control, IClusterView? cluster)
    {
        this.app = app;
        this.options = options;
        this.store = store;
        this.hub = hub;
        this.control = control;
        this.cluster = cluster;
    }

    /// <summary>Where the view is: <c>http://127.0.0.1:PORT/</c>.</summary>
    public Uri Url { get; private set; } = null!;

    /// <summary>Starts the view; a <see cref="WebViewException"/> when it cannot listen as asked.</summary>
    /// <param name="hub">The runs this process runs, followed as they go; null when it runs none (their journal is polled).</param>
    /// <param name="control">The cancel and retry buttons; null hides them.</param>
    /// <param name="cluster">The cluster page; null when not served by a node.</param>
    public static async Task<LoomWebServer> StartAsync(WebViewOptions options, IRunStore store, RunHub? hub = null, IRunControl? control = null,
        IClusterView? cluster = null, CancellationToken cancellationToken = default)
    {
        var address = options.Address();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ApplicationName = typeof(LoomWebServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        // The view stops with its loom: Ctrl-C is the command's to handle, not the web host's.
        builder.Services.AddSingleton<IHostLifetime, NoLifetime>();
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(address, options.Port, listen =>
            {
                if (options.Certificate is { } certificate)
                    listen.UseHttps(certificate);
            });
        });
        var app = builder.Build();
        var server = new LoomWebServer(app, options, store, hub, control, cluster);
        server.Map(app);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new WebViewException($"the web view cannot listen on {options.Host}:{options.Port}: {e.Message}");
        }
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(bound).Port;
        server.hosts = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        {
            $"127.0.0.1:{port}", $"localhost:{port}", $"[::1]:{port}", $"{(address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString())}:{port}",
        };
        var scheme = options.Certificate is null ? "http" : "https";
        server.Url = new Uri(address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"{scheme}://[{address}]:{port}/" : $"{scheme}://{address}:{port}/");
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync().ConfigureAwait(false);
        hub?.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await app.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        await app.DisposeAsync().ConfigureAwait(false);
        stopping.Dispose();
    }

    private void Map(WebApplication web)
    {
        var guarded = !IPAddress.IsLoopback(options.Address());
        web.Use(async (context, next) =>
        {
            // A page of another site reaching this port through a name of its own (DNS rebinding) names that, not this, as
            // Host. A view on another address is reached by names not known here: there the secret guards it instead.
            if (!guarded && !hosts.Contains(context.Request.Host.Value ?? ""))
            {
                context.Response.StatusCode = StatusCodes.Status421MisdirectedRequest;
                await context.Response.WriteAsync("this address is not the loom web view's\n");
                return;
            }
            // Run ids name folders: nothing that could step out of one.
            if (context.Request.Path.StartsWithSegments("/api/runs", out var rest) && rest.Value is { Length: > 1 } tail
                && tail[1..].Split('/')[0] is var id && id != "stream" && !IsRunId(id))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                await WriteJsonAsync(context, new { error = $"no run '{id}'" });
                return;
            }
            if (guarded && !context.Request.Path.StartsWithSegments("/assets") && !await SignedInAsync(context))
                return;
            var headers = context.Response.Headers;
            headers["X-Content-Type-Options"] = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers["X-Frame-Options"] = "DENY";
            headers["Content-Security-Policy"] =
                "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
            await next(context);
        });
        web.MapGet("/api/info", (RequestDelegate)InfoAsync);
        web.MapGet("/api/runs", (RequestDelegate)RunsAsync);
        web.MapGet("/api/runs/stream", (RequestDelegate)RunsStreamAsync);
        web.MapGet("/api/runs/{id}", (RequestDelegate)RunAsync);
        web.MapGet("/api/runs/{id}/events", (RequestDelegate)EventsAsync);
        web.MapGet("/api/runs/{id}/log", (RequestDelegate)LogAsync);
        web.MapPost("/api/runs/{id}/cancel", (RequestDelegate)(context => ControlAsync(context, cancel: true)));
        web.MapPost("/api/runs/{id}/retry", (RequestDelegate)(context => ControlAsync(context, cancel: false)));
        web.MapGet("/api/cluster", (RequestDelegate)ClusterAsync);
        web.MapGet("/assets/{name}", (RequestDelegate)AssetAsync);
        web.Map("/api/{**rest}", (RequestDelegate)(context =>
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return WriteJsonAsync(context, new { error = "no such API" });
        }));
        // Every page is the same document; its script reads the address.
        web.MapGet("/{**path}", (RequestDelegate)(context => SendAssetAsync(context, "index.html")));
    }

    /// <summary>The cookie a sign-in sets: a random token of this view's process (a restart signs everyone out).</summary>
    private const string SessionCookie = "loom-session";

    private readonly string sessionToken = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    /// <summary>
    /// On a view that is not on loopback every request must carry the cluster secret (<c>Authorization: Bearer</c>, for
    /// scripts) or the session cookie that signing in with it set; <c>/login</c> signs in. Others get 401 (the API) or the
    /// sign-in page. False when the request was answered here.
    /// </summary>
    private async Task<bool> SignedInAsync(HttpContext context)
    {
        var request = context.Request;
        var check = options.CheckSecret!;
        if (request.Path == "/login")
        {
            if (HttpMethods.IsPost(request.Method) && request.HasFormContentType)
            {
                var form = await request.ReadFormAsync(context.RequestAborted);
                if (check(form["secret"].ToString()))
                {
                    context.Response.Cookies.Append(SessionCookie, sessionToken, new CookieOptions
                    {
                        HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = options.Certificate is not null, Path = "/",
                    });
                    context.Response.Redirect("/", permanent: false);
                    return false;
                }
                options.OnRefused?.Invoke($"Refused a sign-in to the web view from {context.Connection.RemoteIpAddress}: a wrong cluster secret");
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            }
            await SendLoginAsync(context, failed: context.Response.StatusCode == StatusCodes.Status401Unauthorized);
            return false;
        }
        var bearer = request.Headers.Authorization.ToString();
        if (bearer.StartsWith("Bearer ", StringComparison.Ordinal) && check(bearer["Bearer ".Length..]))
            return true;
        if (request.Cookies.TryGetValue(SessionCookie, out var cookie)
            && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(cookie), Encoding.UTF8.GetBytes(sessionToken)))
            return true;
        if (request.Path.StartsWithSegments("/api"))
        {
            if (bearer.Length > 0)
                options.OnRefused?.Invoke($"Refused {request.Method} {request.Path} from {context.Connection.RemoteIpAddress}: a wrong cluster secret");
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            await WriteJsonAsync(context, new { error = "this web view needs the cluster secret: sign in at /login, or send it as 'Authorization: Bearer SECRET'" });
        }
        else
            context.Response.Redirect("/login", permanent: false);
        return false;
    }

    private static Task SendLoginAsync(HttpContext context, bool failed)
    {
        var headers = context.Response.Headers;
        headers["Content-Security-Policy"] = "default-src 'none'; style-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
        headers["X-Frame-Options"] = "DENY";
        context.Response.ContentType = "text/html; charset=utf-8";
        var alert = failed ? "<p role='alert'>That is not the cluster's secret.</p>" : "";
        return context.Response.WriteAsync($$"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>loom: sign in</title><link rel="stylesheet" href="/assets/app.css"></head>
            <body><main><h1>loom</h1>
            <form method="post" action="/login">
            <p><label for="secret">This view needs the cluster's secret (the content of its <code>--cluster-secret-file</code>):</label></p>
            <p><input id="secret" name="secret" type="password" autocomplete="current-password" autofocus required></p>
            {{alert}}
            <p><button type="submit">Sign in</button></p>
            </form></main></body></html>
            """);
    }

    /// <summary>What Loom's run ids are made of (<c>20260101-120000-1a2b</c>; letters, digits, '-', '_', '.' and ':' in any other).</summary>
    internal static bool IsRunId(string id) =>
        id.Length is > 0 and <= 200 && id[0] != '.' && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':');

    private Task InfoAsync(HttpContext context) => WriteJsonAsync(context, new
    {
        title = options.Title,
        cancel = control is not null,
        retry = control is null ? "this view cannot start runs" : control.RetryUnavailable,
        cluster = cluster is not null,
    });

    // ---- runs ----

    private async Task<List<RunItem>> RunItemsAsync(string? state, CancellationToken cancellationToken)
    {
        var stored = await store.RunsAsync(cancellationToken).ConfigureAwait(false);
        var live = hub?.Runs() ?? [];
        var byId = new Dictionary<string, RunSummary>(StringComparer.Ordinal);
        foreach (var run in stored)
            byId[run.RunId] = run;
        foreach (var run in live)
            byId[run.RunId] = run;
        return byId.Values
            .Select(r => new RunItem(r.RunId, r.Workflow, r.StartedAt, StateOf(r), r.Duration?.TotalSeconds))
            .Where(r => state is null or "" or "all" || r.State == state)
            .OrderByDescending(r => r.StartedAt)
            .ThenByDescending(r => r.RunId, StringComparer.Ordinal)
            .ToList();
    }

    private string StateOf(RunSummary run) =>
        run.Result is { } result ? result.ToWire()
        : (hub is not null && hub.Knows(run.RunId) ? hub.IsGoingOn(run.RunId) : store.IsGoingOn(run.RunId)) ? "running"
        : "interrupted";

    private async Task RunsAsync(HttpContext context) =>
        await WriteJsonAsync(context, await RunItemsAsync(context.Request.Query["state"], context.RequestAborted));

    private async Task RunsStreamAsync(HttpContext context)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping.Token);
        var cancellationToken = linked.Token;
        var sse = await Sse.StartAsync(context);
        string state = context.Request.Query["state"].ToString();
        var last = "";
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var changed = hub?.Changed ?? Task.CompletedTask;
                var json = JsonSerializer.Serialize(await RunItemsAsync(state, cancellationToken), Json);
                if (json != last)
                {
                    await sse.SendAsync("runs", json, null, cancellationToken);
                    last = json;
                }
                else
                    await sse.CommentAsync(cancellationToken);
                // Other processes' runs (and this one's, once they are in the journal) are seen by polling.
                var poll = Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                await Task.WhenAny(hub is null ? poll : changed, poll);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (IOException)
        {
        }
    }

    /// <summary>The run's definition (its first event) and start; a run this process just started may not be journaled yet.</summary>
    private async Task<(RunDefined? Defined, RunStarted? Started, bool Known)> HeadAsync(string runId, CancellationToken cancellationToken)
    {
        RunStarted? started = null;
        if (hub is not null && hub.TryFollow(runId, out var before, out _))
            started = before.OfType<RunStarted>().FirstOrDefault();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(3);
        while (true)
        {
            var head = await store.EventsAsync(runId, 0, 8, cancellationToken).ConfigureAwait(false);
            var defined = head.Select(e => e.Event).OfType<RunDefined>().FirstOrDefault();
            started ??= head.Select(e => e.Event).OfType<RunStarted>().FirstOrDefault();
            if ((defined is not null && started is not null) || DateTime.UtcNow > deadline || (head.Count == 0 && started is null && !(hub?.Knows(runId) ?? false)))
                return (defined, started, head.Count > 0 || started is not null);
            await Task.Delay(Poll, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task RunAsync(HttpContext context)
    {
        var runId = (string)context.Request.RouteValues["id"]!;
        var (defined, started, known) = await HeadAsync(runId, context.RequestAborted);
        if (!known)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            await WriteJsonAsync(context, new { error = $"no run '{runId}'" });
            return;
        }
        var item = (await RunItemsAsync(null, context.RequestAborted)).FirstOrDefault(r => r.RunId == runId);
        await WriteJsonAsync(context, new
        {
            runId,
            workflow = started?.Workflow ?? defined?.DisplayPath ?? "",
            startedAt = started?.At,
            state = item?.State ?? "running",
            duration = item?.Duration,
            maxParallel = started?.MaxParallel,
            jobs = RunGraph.Of(defined, started?.Jobs),
        });
    }

    private async Task EventsAsync(HttpContext context)
    {
        var runId = (string)context.Request.RouteValues["id"]!;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping.Token);
        var cancellationToken = linked.Token;
        // A browser that reconnects says where it was: it gets what came after.
        _ = long.TryParse(context.Request.Headers["Last-Event-ID"], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seen);
        var sse = await Sse.StartAsync(context);
        var json = new EventJson();
        try
        {
            if (hub is not null && hub.TryFollow(runId, out var before, out var next))
            {
                long index = 0;
                foreach (var notification in before)
                    await SendEventAsync(++index, notification);
                await sse.FlushAsync(cancellationToken);
                while (true)
                {
                    var more = next.WaitToReadAsync(cancellationToken).AsTask();
                    if (await Task.WhenAny(more, Task.Delay(Heartbeat, cancellationToken)) != more)
                    {
                        await sse.CommentAsync(cancellationToken);
                        continue;
                    }
                    if (!await more)
                        break;
                    while (next.TryRead(out var notification))
                        await SendEventAsync(++index, notification);
                    await sse.FlushAsync(cancellationToken);
                }
                await sse.SendAsync("end", hub.IsGoingOn(runId) ? "\"closing\"" : "\"ended\"", null, cancellationToken);
                return;
            }
            // A run of another process (or one this process no longer keeps): its journal, polled.
            var seq = seen;
            var quiet = TimeSpan.Zero;
            while (true)
            {
                var events = await store.EventsAsync(runId, seq, long.MaxValue, cancellationToken);
                var finished = false;
                foreach (var (sequenceNr, e) in events)
                {
                    seq = sequenceNr;
                    if (e is IRunNotification notification)
                        await SendEventAsync(seq, notification);
                    finished |= e is RunFinished;
                }
                if (finished || (events.Count == 0 && !store.IsGoingOn(runId)))
                {
                    await sse.SendAsync("end", finished ? "\"ended\"" : seq == 0 ? "\"unknown\"" : "\"interrupted\"", null, cancellationToken);
                    return;
                }
                await sse.FlushAsync(cancellationToken);
                quiet = events.Count > 0 ? TimeSpan.Zero : quiet + Poll;
                if (quiet >= Heartbeat)
                {
                    await sse.CommentAsync(cancellationToken);
                    quiet = TimeSpan.Zero;
                }
                await Task.Delay(Poll, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (IOException)
        {
        }

        Task SendEventAsync(long id, IRunNotification notification) =>
            id > seen && json.Write(notification) is { } data ? sse.WriteAsync(null, data, id.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken) : Task.CompletedTask;
    }

    private async Task LogAsync(HttpContext context)
    {
        var runId = (string)context.Request.RouteValues["id"]!;
        var unit = context.Request.Query["unit"].ToString();
        if (unit.Length == 0 || !int.TryParse(context.Request.Query["attempt"], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var attempt) || attempt < 1)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await WriteJsonAsync(context, new { error = "a log needs ?unit=JOB&attempt=N" });
            return;
        }
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping.Token);
        var cancellationToken = linked.Token;
        var sse = await Sse.StartAsync(context);
        try
        {
            var (defined, _, _) = await HeadAsync(runId, cancellationToken);
            var folder = defined?.LogsFolder;
            var progress = new Progress();
            long position = 0;
            var quiet = TimeSpan.Zero;
            var grace = false;
            while (true)
            {
                var goingOn = await GoingOnAsync(runId, progress, cancellationToken);
                // The journal can record a run's end a moment before its last lines are stored: one more read after a pause.
                if (!goingOn && progress.FromJournal && !grace)
                {
                    grace = true;
                    goingOn = true;
                }
                var chunk = await store.ReadLogAsync(runId, folder, unit, attempt, position, final: !goingOn, cancellationToken);
                position = chunk.Position;
                if (chunk.Lines.Count > 0)
                {
                    await sse.SendAsync("lines", LogJson.Of(chunk.Lines), position.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken);
                    quiet = TimeSpan.Zero;
                }
                if (!goingOn)
                {
                    await sse.SendAsync("end", "\"ended\"", null, cancellationToken);
                    return;
                }
                quiet += Poll;
                if (quiet >= Heartbeat)
                {
                    await sse.CommentAsync(cancellationToken);
                    quiet = TimeSpan.Zero;
                }
                await Task.Delay(grace ? TimeSpan.FromSeconds(1) : Poll, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (IOException)
        {
        }
    }

    private sealed class Progress
    {
        public long Seq;
        public bool Finished;
        public bool FromJournal;
    }

    /// <summary>Whether the run may still print: this process's own run until its end; another's while it is going on and its journal has no end.</summary>
    private async Task<bool> GoingOnAsync(string runId, Progress progress, CancellationToken cancellationToken)
    {
        if (hub is not null && hub.Knows(runId))
            return hub.IsGoingOn(runId);
        progress.FromJournal = true;
        if (progress.Finished)
            return false;
        foreach (var (seq, e) in await store.EventsAsync(runId, progress.Seq, long.MaxValue, cancellationToken))
        {
            progress.Seq = seq;
            progress.Finished |= e is RunFinished;
        }
        return !progress.Finished && store.IsGoingOn(runId);
    }

    private async Task ControlAsync(HttpContext context, bool cancel)
    {
        var runId = (string)context.Request.RouteValues["id"]!;
        // A form or a script of another site cannot send this header without a preflight this server never answers.
        if (!context.Request.Headers.ContainsKey(RequestHeader))
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await WriteJsonAsync(context, new { error = $"requests that change runs need the {RequestHeader} header" });
            return;
        }
        if (control is null)
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            await WriteJsonAsync(context, new { error = "this view cannot cancel or retry runs" });
            return;
        }
        if (!cancel && control.RetryUnavailable is { } why)
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            await WriteJsonAsync(context, new { error = why });
            return;
        }
        var result = cancel ? await control.CancelAsync(runId, context.RequestAborted) : await control.RetryAsync(runId, context.RequestAborted);
        if (result.Error is { } error)
        {
            context.Response.StatusCode = StatusCodes.Status409Conflict;
            await WriteJsonAsync(context, new { error });
            return;
        }
        await WriteJsonAsync(context, new { message = result.Message, runId = result.RunId });
    }

    private async Task ClusterAsync(HttpContext context)
    {
        if (cluster is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            await WriteJsonAsync(context, new { error = "not served by a cluster node" });
            return;
        }
        await WriteJsonAsync(context, await cluster.ClusterAsync(context.RequestAborted));
    }

    private Task AssetAsync(HttpContext context) => SendAssetAsync(context, (string)context.Request.RouteValues["name"]!);

    private static async Task SendAssetAsync(HttpContext context, string name)
    {
        if (Assets.Get(name) is not { } bytes)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        context.Response.ContentType = Assets.ContentType(name);
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
    }

    private static async Task WriteJsonAsync<T>(HttpContext context, T value)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        await JsonSerializer.SerializeAsync(context.Response.Body, value, Json, context.RequestAborted);
    }

    private sealed record RunItem(string RunId, string Workflow, DateTimeOffset StartedAt, string State, double? Duration);

    private sealed class NoLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

/// <summary>One reused writer of <see cref="RunNotificationJson"/>: a notification as the line <c>--json</c> prints.</summary>
internal sealed class EventJson
{
    private readonly ArrayBufferWriter<byte> buffer = new(512);
    private Utf8JsonWriter? writer;

    public string? Write(IRunNotification notification)
    {
        buffer.ResetWrittenCount();
        writer ??= new Utf8JsonWriter(buffer);
        writer.Reset(buffer);
        if (notification is LoomProtocol.RunAccepted || !RunNotificationJson.Write(writer, notification))
            return null;
        writer.Flush();
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}

/// <summary>A log's lines for the page: a step's header, a line it printed, or an annotation (<c>RunLogFiles</c>).</summary>
internal static class LogJson
{
    public static string Of(IReadOnlyList<string> lines)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var line in lines)
            {
                writer.WriteStartObject();
                if (Actors.Scheduling.RunLogFiles.TryReadHeader(line, out var step, out var title))
                {
                    writer.WriteString("kind", "step");
                    writer.WriteNumber("step", step);
                    writer.WriteString("title", title);
                }
                else if (Actors.Scheduling.RunLogFiles.TryReadAnnotation(line, out var a))
                {
                    writer.WriteString("kind", "annotation");
                    writer.WriteString("level", a.Level);
                    writer.WriteString("message", a.Message);
                    if (a.File is not null)
                        writer.WriteString("file", a.File);
                    if (a.Line is { } number)
                        writer.WriteNumber("line", number);
                    if (a.Column is { } column)
                        writer.WriteNumber("col", column);
                    if (a.Title is not null)
                        writer.WriteString("title", a.Title);
                }
                else
                {
                    writer.WriteString("kind", "line");
                    writer.WriteString("text", line);
                }
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}

/// <summary>Server-Sent Events on one response: <c>event:</c>, <c>id:</c> and <c>data:</c> lines, flushed per message.</summary>
internal sealed class Sse
{
    private readonly HttpResponse response;

    private Sse(HttpResponse response) => this.response = response;

    public static async Task<Sse> StartAsync(HttpContext context)
    {
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        context.Response.ContentType = "text/event-stream; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers["X-Accel-Buffering"] = "no";
        // Reconnect soon after the view comes back (the browser's EventSource does it by itself).
        await context.Response.WriteAsync("retry: 1000\n\n", context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
        return new Sse(context.Response);
    }

    /// <summary>Writes one message without flushing (a batch flushes once).</summary>
    public Task WriteAsync(string? kind, string data, string? id, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        if (kind is not null)
            text.Append("event: ").Append(kind).Append('\n');
        if (id is not null)
            text.Append("id: ").Append(id).Append('\n');
        // JSON has no raw line ends; a data line per line keeps any other text whole.
        foreach (var line in data.Split('\n'))
            text.Append("data: ").Append(line).Append('\n');
        text.Append('\n');
        return response.WriteAsync(text.ToString(), cancellationToken);
    }

    public async Task SendAsync(string? kind, string data, string? id, CancellationToken cancellationToken)
    {
        await WriteAsync(kind, data, id, cancellationToken);
        await FlushAsync(cancellationToken);
    }

    public Task FlushAsync(CancellationToken cancellationToken) => response.Body.FlushAsync(cancellationToken);

    /// <summary>A comment line: keeps the connection open through proxies and finds out that the page has gone.</summary>
    public async Task CommentAsync(CancellationToken cancellationToken)
    {
        await response.WriteAsync(": keep-alive\n\n", cancellationToken);
        await FlushAsync(cancellationToken);
    }
}
