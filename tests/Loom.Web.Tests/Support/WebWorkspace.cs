using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Loom.Cli.Tests;

namespace Loom.Web.Tests.Support;

/// <summary>A temporary workspace with workflows, gate files its jobs wait for, and the <c>loom</c> processes started in it.</summary>
public sealed partial class WebWorkspace : IDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly List<LoomProcess> processes = [];
    private readonly string gates;

    public WebWorkspace()
    {
        Root = Directory.CreateTempSubdirectory("loom-web-").FullName;
        gates = Directory.CreateTempSubdirectory("loom-web-gates-").FullName;
    }

    public string Root { get; }

    /// <summary>A file outside the workspace (so no watcher sees it) that a job can wait for.</summary>
    public string Gate(string name) => Path.Combine(gates, name);

    public void Open(string name) => File.WriteAllText(Gate(name), "");

    /// <summary>A step that says it started (file <paramref name="name"/>.started), then waits for the gate <paramref name="name"/>.</summary>
    public string WaitStep(string name) => $"touch '{Gate(name)}.started'; while [ ! -e '{Gate(name)}' ]; do sleep 0.05; done";

    public async Task WaitStartedAsync(string name) => await Until(() => File.Exists(Gate(name) + ".started"), $"the job waiting for {name} to start");

    public string Write(string file, string yaml)
    {
        File.WriteAllText(Path.Combine(Root, file), yaml);
        return file;
    }

    public LoomProcess Start(params string[] args)
    {
        var process = LoomProcess.Start(Root, new Dictionary<string, string> { ["TERM"] = "dumb" }, args);
        lock (processes)
            processes.Add(process);
        return process;
    }

    /// <summary>Starts a <c>loom</c> command with <c>--ui</c> and reads the view's address from its stderr.</summary>
    public async Task<(LoomProcess Process, Uri Url)> StartWithUiAsync(params string[] args)
    {
        var process = Start([.. args, "--ui"]);
        Uri? url = null;
        await Until(() => (url = UrlIn(process.Stderr)) is not null, "the web view's address on stderr", () => process.Stderr);
        return (process, url!);
    }

    public static Uri? UrlIn(string stderr) => UrlLine().Match(stderr) is { Success: true } m ? new Uri(m.Groups[1].Value) : null;

    [GeneratedRegex(@"web view at (http://\S+)")]
    private static partial Regex UrlLine();

    public static async Task Until(Func<bool> condition, string what, Func<string>? detail = null)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"waited {Patience.TotalSeconds}s for {what}{(detail is null ? "" : ":\n" + detail())}");
            await Task.Delay(50);
        }
    }

    public void Dispose()
    {
        lock (processes)
            foreach (var process in processes)
                process.Dispose();
        foreach (var folder in new[] { Root, gates })
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}

/// <summary>The view's API from a test: JSON and Server-Sent Events.</summary>
public sealed class ViewClient(Uri url) : IDisposable
{
    private readonly HttpClient http = new() { BaseAddress = url, Timeout = Timeout.InfiniteTimeSpan };

    public HttpClient Http => http;

    public async Task<JsonElement> GetAsync(string path)
    {
        using var timeout = new CancellationTokenSource(WebWorkspace.Patience);
        var text = await http.GetStringAsync(path, timeout.Token);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>The newest run the view lists.</summary>
    public async Task<string> WaitForRunAsync(Func<JsonElement, bool>? which = null)
    {
        string? runId = null;
        var deadline = DateTime.UtcNow + WebWorkspace.Patience;
        while (runId is null)
        {
            var runs = await GetAsync("/api/runs");
            runId = runs.EnumerateArray().Where(r => which?.Invoke(r) ?? true).Select(r => r.GetProperty("runId").GetString()).FirstOrDefault();
            if (runId is null)
            {
                if (DateTime.UtcNow > deadline)
                    throw new TimeoutException("no run listed");
                await Task.Delay(100);
            }
        }
        return runId;
    }

    public async Task<HttpResponseMessage> PostAsync(string path, bool withHeader = true)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        if (withHeader)
            request.Headers.Add(LoomWebServer.RequestHeader, "1");
        return await http.SendAsync(request);
    }

    /// <summary>The messages of an event stream, as they come: (event, id, data).</summary>
    public async IAsyncEnumerable<(string Event, string? Id, string Data)> StreamAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        response.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken), Encoding.UTF8);
        string kind = "message";
        string? id = null;
        var data = new StringBuilder();
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Length > 0)
                    yield return (kind, id, data.ToString());
                (kind, id) = ("message", null);
                data.Clear();
            }
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
                kind = line[7..];
            else if (line.StartsWith("id: ", StringComparison.Ordinal))
                id = line[4..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
                data.Append(data.Length > 0 ? "\n" : "").Append(line[6..]);
        }
    }

    public void Dispose() => http.Dispose();
}
