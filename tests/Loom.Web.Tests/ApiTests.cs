using System.Net;
using System.Text.Json;
using Loom.Web.Tests.Support;

namespace Loom.Web.Tests;

/// <summary>The web view's API without a browser: real <c>loom</c> processes, their event streams and logs.</summary>
public sealed class ApiTests
{
    private static readonly TimeSpan Patience = WebWorkspace.Patience;

    private static string Gated(WebWorkspace workspace, string name, string gate) => $$$"""
        name: {{{name}}}
        jobs:
          first:
            steps:
              - run: echo "one with ${{ secrets.TOKEN }}"
          gated:
            needs: first
            steps:
              - name: Wait
                run: |
                  echo "before the gate"
                  echo "::error file=app.cs,line=3::a problem, reported"
                  {{{workspace.WaitStep(gate)}}}
                  echo "after the gate"
          last:
            needs: gated
            steps:
              - run: echo done
        """;

    [Fact]
    public async Task A_stream_opened_mid_run_catches_up_then_follows_to_the_end()
    {
        using var workspace = new WebWorkspace();
        workspace.Write(".loom.yml", Gated(workspace, "gated", "g"));
        File.WriteAllText(Path.Combine(workspace.Root, "secrets.env"), "TOKEN=s3cr3t-value\n");
        var (loom, url) = await workspace.StartWithUiAsync("run", "--plain", "--secrets-file", "secrets.env");
        using var web = new ViewClient(url);
        await workspace.WaitStartedAsync("g");
        var runId = await web.WaitForRunAsync();

        var run = await web.GetAsync($"/api/runs/{runId}");
        Assert.Equal("running", run.GetProperty("state").GetString());
        var jobs = run.GetProperty("jobs").EnumerateArray().ToDictionary(j => j.GetProperty("id").GetString()!, j => j.GetProperty("needs").EnumerateArray().Select(n => n.GetString()).ToList());
        Assert.Equal(["first"], jobs["gated"]);
        Assert.Equal(["gated"], jobs["last"]);

        using var timeout = new CancellationTokenSource(Patience);
        var events = new List<JsonElement>();
        var ids = new List<long>();
        var caughtUp = false;
        string? end = null;
        await foreach (var (kind, id, data) in web.StreamAsync($"/api/runs/{runId}/events", timeout.Token))
        {
            if (kind == "end")
            {
                end = JsonSerializer.Deserialize<string>(data);
                break;
            }
            var e = JsonDocument.Parse(data).RootElement.Clone();
            events.Add(e);
            ids.Add(long.Parse(id!));
            // What happened before the stream opened has come: now let the job go on.
            if (!caughtUp && Is(e, "stepStarted", "gated"))
            {
                caughtUp = true;
                workspace.Open("g");
            }
        }
        Assert.Equal("ended", end);
        Assert.True(caughtUp);
        Assert.Equal("runStarted", events[0].GetProperty("event").GetString());
        Assert.Equal(ids.Order().Distinct(), ids);
        Assert.Contains(events, e => Is(e, "jobFinished", "first") && e.GetProperty("result").GetString() == "success");
        Assert.Contains(events, e => Is(e, "jobFinished", "gated") && e.GetProperty("result").GetString() == "success");
        Assert.Contains(events, e => e.GetProperty("event").GetString() == "annotation" && e.GetProperty("message").GetString() == "a problem, reported");
        Assert.Equal("runFinished", events[^1].GetProperty("event").GetString());
        Assert.Single(events, e => Is(e, "jobStarted", "gated"));

        // The job's log, read after the run: its step header, its lines and its annotation.
        var lines = await LogAsync(web, runId, "gated");
        Assert.Contains(lines, l => l.GetProperty("kind").GetString() == "step" && l.GetProperty("title").GetString() == "Wait");
        Assert.Contains(lines, l => l.GetProperty("kind").GetString() == "line" && l.GetProperty("text").GetString() == "after the gate");
        Assert.Contains(lines, l => l.GetProperty("kind").GetString() == "annotation" && l.GetProperty("file").GetString() == "app.cs" && l.GetProperty("line").GetInt32() == 3);

        // Secrets stay masked, in events, logs and the run's description alike.
        var first = await LogAsync(web, runId, "first");
        Assert.Contains(first, l => l.GetProperty("kind").GetString() == "line" && l.GetProperty("text").GetString() == "one with ***");
        Assert.DoesNotContain("s3cr3t-value", string.Join("\n", events.Select(e => e.GetRawText()).Concat(first.Select(l => l.GetRawText()))));
        Assert.DoesNotContain("s3cr3t-value", (await web.GetAsync($"/api/runs/{runId}")).GetRawText());

        // The run is over; the view stays until a signal, and the exit code is the run's.
        await WebWorkspace.Until(() => loom.Stderr.Contains("the web view stays at"), "the view to stay after the run", () => loom.Stderr);
        Assert.Equal("success", (await web.GetAsync($"/api/runs/{runId}")).GetProperty("state").GetString());
        loom.Signal("INT");
        Assert.Equal(0, await loom.WaitAsync());
    }

    [Fact]
    public async Task A_run_of_another_loom_is_followed_from_the_journal_and_cancelled_as_loom_cancel_does()
    {
        using var workspace = new WebWorkspace();
        workspace.Write(".loom.yml", "name: quick\njobs:\n  one:\n    steps:\n      - run: echo quick\n");
        workspace.Write("other.yml", Gated(workspace, "other", "o"));
        workspace.Write("slow.yml", $"name: slow\njobs:\n  sleeper:\n    steps:\n      - run: |\n          {workspace.WaitStep("never")}\n");
        var (view, url) = await workspace.StartWithUiAsync("run", "--plain");
        using var web = new ViewClient(url);
        await WebWorkspace.Until(() => view.Stderr.Contains("the web view stays at"), "the first run to end", () => view.Stderr);

        // Requests must come for this address, and changes must carry the header.
        using (var rebound = new HttpRequestMessage(HttpMethod.Get, "/api/runs"))
        {
            rebound.Headers.Host = "attacker.example:80";
            Assert.Equal(HttpStatusCode.MisdirectedRequest, (await web.Http.SendAsync(rebound)).StatusCode);
        }

        var other = workspace.Start("run", "other.yml", "--plain");
        await workspace.WaitStartedAsync("o");
        var runId = await web.WaitForRunAsync(r => r.GetProperty("workflow").GetString() == "other");
        Assert.Equal("running", (await web.GetAsync("/api/runs?state=running")).EnumerateArray().Single().GetProperty("state").GetString());

        using var timeout = new CancellationTokenSource(Patience);
        var seen = new List<string>();
        string? end = null;
        await foreach (var (kind, _, data) in web.StreamAsync($"/api/runs/{runId}/events", timeout.Token))
        {
            if (kind == "end")
            {
                end = JsonSerializer.Deserialize<string>(data);
                break;
            }
            var e = JsonDocument.Parse(data).RootElement;
            seen.Add($"{e.GetProperty("event").GetString()} {(e.TryGetProperty("jobId", out var job) ? job.GetString() : "")}".Trim());
            if (Is(e, "stepStarted", "gated"))
                workspace.Open("o");
        }
        Assert.Equal("ended", end);
        Assert.Equal("runStarted", seen[0]);
        Assert.Contains("jobFinished gated", seen);
        Assert.Equal("runFinished", seen[^1]);
        Assert.Equal(0, await other.WaitAsync());
        var lines = await LogAsync(web, runId, "gated");
        Assert.Contains(lines, l => l.GetProperty("kind").GetString() == "line" && l.GetProperty("text").GetString() == "after the gate");

        // Cancel: refused without the header, for a finished run and for no run, as loom cancel words it; done by SIGTERM to the run's loom.
        var slow = workspace.Start("run", "slow.yml", "--plain");
        await workspace.WaitStartedAsync("never");
        var slowId = await web.WaitForRunAsync(r => r.GetProperty("workflow").GetString() == "slow");
        Assert.Equal(HttpStatusCode.Forbidden, (await web.PostAsync($"/api/runs/{slowId}/cancel", withHeader: false)).StatusCode);
        var finished = await web.PostAsync($"/api/runs/{runId}/cancel");
        Assert.Equal(HttpStatusCode.Conflict, finished.StatusCode);
        Assert.Contains($"run {runId} already finished (success)", await finished.Content.ReadAsStringAsync());
        Assert.Contains("no run 'nothing'", await (await web.PostAsync("/api/runs/nothing/cancel")).Content.ReadAsStringAsync());
        var cancel = await web.PostAsync($"/api/runs/{slowId}/cancel");
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal(143, await slow.WaitAsync());
        await WebWorkspace.Until(() => web.GetAsync($"/api/runs/{slowId}").Result.GetProperty("state").GetString() == "cancelled", "the run to be cancelled");

        // Retry: refused for a run that succeeded; a failed one runs again in the view's loom.
        var retried = await web.PostAsync($"/api/runs/{runId}/retry");
        Assert.Equal(HttpStatusCode.Conflict, retried.StatusCode);
        Assert.Contains("nothing to retry", await retried.Content.ReadAsStringAsync());
        var retry = await web.PostAsync($"/api/runs/{slowId}/retry");
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        var retryId = JsonDocument.Parse(await retry.Content.ReadAsStringAsync()).RootElement.GetProperty("runId").GetString()!;
        await WebWorkspace.Until(() => web.GetAsync($"/api/runs/{retryId}").Result.GetProperty("state").GetString() == "running", "the retry to run");
        Assert.Equal(HttpStatusCode.OK, (await web.PostAsync($"/api/runs/{retryId}/cancel")).StatusCode);
        await WebWorkspace.Until(() => web.GetAsync($"/api/runs/{retryId}").Result.GetProperty("state").GetString() == "cancelled", "the retry to be cancelled");

        view.Signal("TERM");
        Assert.Equal(0, await view.WaitAsync());
    }

    [Fact]
    public async Task Only_ui_loads_the_web_assemblies_and_it_serves_on_loopback_only()
    {
        using var workspace = new WebWorkspace();
        // The step's parent is the loom process: what it has mapped is what it loaded. (Microsoft.Extensions.* come from the
        // ASP.NET Core framework's folder once loom references it, as they did from loom's own before: they are not the web's.)
        workspace.Write(".loom.yml", """
            name: maps
            jobs:
              look:
                steps:
                  - run: echo "web assemblies loaded $(grep -cE '/Microsoft\.AspNetCore\.[^/]*\.dll|/Loom\.Web\.dll' /proc/$PPID/maps)"
            """);
        var plain = workspace.Start("run", "--plain");
        Assert.Equal(0, await plain.WaitAsync());
        Assert.Contains("web assemblies loaded 0", plain.Stdout);

        var (withUi, _) = await workspace.StartWithUiAsync("run", "--plain");
        await WebWorkspace.Until(() => withUi.Stderr.Contains("the web view stays at"), "the run to end", () => withUi.Stderr);
        Assert.Matches("web assemblies loaded [1-9]", withUi.Stdout);
        withUi.Signal("INT");
        Assert.Equal(0, await withUi.WaitAsync());

        var open = workspace.Start("run", "--ui", "--ui-host", "0.0.0.0");
        Assert.Equal(2, await open.WaitAsync());
        Assert.Contains("loopback addresses only", open.Stderr);
        var portWithoutUi = workspace.Start("run", "--ui-port", "8080");
        Assert.Equal(2, await portWithoutUi.WaitAsync());
        Assert.Contains("--ui-port needs --ui", portWithoutUi.Stderr);
    }

    [Fact]
    public async Task Each_watch_cycle_is_a_run_of_the_view()
    {
        using var workspace = new WebWorkspace();
        workspace.Write(".loom.yml", "name: watched\njobs:\n  build:\n    steps:\n      - run: cat input.txt\n");
        File.WriteAllText(Path.Combine(workspace.Root, "input.txt"), "one\n");
        var (watch, url) = await workspace.StartWithUiAsync("watch", "--plain");
        using var web = new ViewClient(url);
        await WebWorkspace.Until(() => web.GetAsync("/api/runs?state=success").Result.GetArrayLength() == 1, "the first cycle", () => watch.Stdout);
        // Past the watcher's grace: a write right after a job counts as the job's own.
        await Task.Delay(TimeSpan.FromMilliseconds(700));
        File.WriteAllText(Path.Combine(workspace.Root, "input.txt"), "two\n");
        await WebWorkspace.Until(() => web.GetAsync("/api/runs?state=success").Result.GetArrayLength() == 2, "the second cycle", () => watch.Stdout);
        var newest = (await web.GetAsync("/api/runs")).EnumerateArray().First().GetProperty("runId").GetString()!;
        var lines = await LogAsync(web, newest, "build");
        Assert.Contains(lines, l => l.GetProperty("kind").GetString() == "line" && l.GetProperty("text").GetString() == "two");
        watch.Signal("INT");
        Assert.Equal(130, await watch.WaitAsync());
    }

    [Fact]
    public void The_vendored_dagre_is_the_tarball_the_lock_pins()
    {
        var vendor = Path.Combine(RepositoryRoot(), "src", "Loom.Web", "vendor");
        var lockFile = JsonDocument.Parse(File.ReadAllText(Path.Combine(vendor, "package-lock.json"))).RootElement;
        var pinned = lockFile.GetProperty("packages").GetProperty("node_modules/@dagrejs/dagre");
        var integrity = pinned.GetProperty("integrity").GetString()!;
        var tarball = File.ReadAllBytes(Path.Combine(vendor, "dagre.tgz"));
        Assert.Equal(integrity, "sha512-" + Convert.ToBase64String(System.Security.Cryptography.SHA512.HashData(tarball)));
        var package = JsonDocument.Parse(File.ReadAllText(Path.Combine(vendor, "package.json"))).RootElement;
        Assert.Equal(pinned.GetProperty("version").GetString(), package.GetProperty("dependencies").GetProperty("@dagrejs/dagre").GetString());
        // What the pages get is the bundle from that tarball.
        Assert.Contains("var dagre=", System.Text.Encoding.UTF8.GetString(Assets.Dagre()));
    }

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            if (File.Exists(Path.Combine(folder.FullName, "Loom.Actors.sln")))
                return folder.FullName;
        throw new DirectoryNotFoundException("the repository around " + AppContext.BaseDirectory);
    }

    private static bool Is(JsonElement e, string kind, string job) =>
        e.GetProperty("event").GetString() == kind && e.TryGetProperty("jobId", out var id) && id.GetString() == job;

    private static async Task<List<JsonElement>> LogAsync(ViewClient web, string runId, string unit)
    {
        using var timeout = new CancellationTokenSource(Patience);
        var lines = new List<JsonElement>();
        await foreach (var (kind, _, data) in web.StreamAsync($"/api/runs/{runId}/log?unit={unit}&attempt=1", timeout.Token))
        {
            if (kind == "end")
                break;
            lines.AddRange(JsonDocument.Parse(data).RootElement.EnumerateArray().Select(l => l.Clone()));
        }
        return lines;
    }
}
