using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Loom.Cli.Tests.Shipping;

/// <summary>
/// The sample hosts of <c>docs/examples/embedding</c>, built and run as real processes: Loom embedded in a generic host
/// and in an ASP.NET Core app, whose own code submits runs and receives their events.
/// </summary>
[Collection(DotnetCommand.BuildCollection)]
public sealed class EmbeddingSampleTests : IDisposable
{
    private static readonly TimeSpan BuildPatience = TimeSpan.FromMinutes(4);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly string work = Directory.CreateTempSubdirectory("loom-embed-").FullName;

    private static async Task<string> BuildAsync(string sample)
    {
        var project = Path.Combine(DotnetCommand.RepositoryRoot(), "docs", "examples", "embedding", sample);
        // No build servers: they would outlive the build holding its output pipes open.
        await DotnetCommand.RunAsync("dotnet", project, ["build", "-c", DotnetCommand.Configuration, "--disable-build-servers", "-nologo", "-v", "quiet"], BuildPatience);
        return Path.Combine(project, "bin", DotnetCommand.Configuration, "net10.0");
    }

    [Fact]
    public async Task The_worker_sample_runs_a_workflow_at_start_and_its_own_code_prints_the_runs_events()
    {
        var output = await BuildAsync("worker");
        File.WriteAllText(Path.Combine(work, "flow.yml"), """
            jobs:
              make:
                steps:
                  - run: echo "made by $LOOM_JOB" > made.txt && echo made
              check:
                needs: make
                steps:
                  - run: cat made.txt
            """);
        using var worker = DotnetCommand.Start("dotnet", work, [Path.Combine(output, "Loom.Examples.Worker.dll"), "--workflow", "flow.yml"]);
        var exit = await worker.WaitAsync(Patience);
        var printed = worker.Output;
        Assert.True(exit == 0, $"the worker exited {exit}:\n{printed}");
        Assert.Contains("worker saw: job make started", printed);
        Assert.Contains("worker saw: [make] made", printed);
        Assert.Contains("worker saw: [check] made by make", printed);
        Assert.Matches(@"worker saw: run \S+ success", printed);
        // Loom's state under the host's content root, where 'loom runs' finds it.
        Assert.True(File.Exists(Path.Combine(work, ".loom", "journal.db")));
        Assert.Single(Directory.GetDirectories(Path.Combine(work, ".loom", "runs")));

        using var invalid = DotnetCommand.Start("dotnet", work, [Path.Combine(output, "Loom.Examples.Worker.dll"), "--workflow", "missing.yml"]);
        Assert.Equal(2, await invalid.WaitAsync(Patience));
        Assert.Contains("worker: refused: missing.yml", invalid.Output);
        Assert.DoesNotContain("   at ", invalid.Output);
    }

    [Fact]
    public async Task The_web_sample_starts_a_run_on_POST_and_tells_its_state_and_events()
    {
        var output = await BuildAsync("web");
        using var web = DotnetCommand.Start("dotnet", work, [Path.Combine(output, "Loom.Examples.Web.dll"), "--urls", "http://127.0.0.1:0"]);
        var listening = await web.WaitForOutputAsync(o => o.Contains("Now listening on: http://"), Patience);
        var url = Regex.Match(listening, @"Now listening on: (http://\S+)").Groups[1].Value;
        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = Patience };

        var posted = await http.PostAsync("/runs?input=who=web", new StringContent("""
            jobs:
              greet:
                steps:
                  - run: echo "hello ${{ inputs.who }}" > greeting.txt && cat greeting.txt
            """));
        Assert.Equal(HttpStatusCode.Created, posted.StatusCode);
        var runId = (await posted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetString()!;
        Assert.Equal($"/runs/{runId}", posted.Headers.Location?.OriginalString);

        // The events as Server-Sent Events, loom run --json's lines, ending with the run.
        var events = await http.GetStringAsync($"/runs/{runId}/events");
        var kinds = events.Split('\n').Where(l => l.StartsWith("data: ", StringComparison.Ordinal))
            .Select(l => JsonDocument.Parse(l["data: ".Length..]).RootElement.GetProperty("event").GetString()).ToList();
        Assert.Equal("runAccepted", kinds[0]);
        Assert.Equal("runFinished", kinds[^1]);
        Assert.Contains("""{"event":"outputLine","jobId":"greet","step":0,"line":"hello web",""", events);

        var state = await http.GetFromJsonAsync<JsonElement>($"/runs/{runId}");
        Assert.Equal("Finished", state.GetProperty("state").GetString());
        Assert.Equal("Success", state.GetProperty("result").GetString());
        Assert.Equal("hello web", File.ReadAllText(Path.Combine(work, "greeting.txt")).Trim());
        var runs = await http.GetFromJsonAsync<JsonElement>("/runs");
        Assert.Equal(runId, runs[0].GetProperty("runId").GetString());

        // An invalid workflow: its errors as data.
        var refused = await http.PostAsync("/runs", new StringContent("jobs:\n  a:\n    needs: b\n    steps:\n      - run: 'true'\n"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        var errors = (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Matches(@"^inline\.loom\.yml:3:\d+: error: .*'b'", errors[0].GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/runs/20000101-000000-0000")).StatusCode);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(work, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
