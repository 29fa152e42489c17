using System.Diagnostics;
using System.Text.RegularExpressions;
using Loom.Actors.Tests.Persistence;
using Loom.Cluster.Hosting;
using Loom.Cluster.Tests.Support;
using Xunit.Abstractions;

namespace Loom.Cluster.Tests;

/// <summary>
/// <c>--health-port</c> of real <c>loom serve</c> processes, with the web view off: <c>/health/ready</c> is 503 while the node
/// waits to join and 200 once it is an Up member; on SIGTERM with a running job it turns 503 at once while
/// <c>/health/alive</c> stays 200 through the drain, and the node exits 0 when the job is done.
/// </summary>
public sealed partial class HealthProcessTests(ITestOutputHelper testOutput) : ProcessTests(testOutput, "loom-health-")
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [PostgresFact]
    public async Task Ready_is_503_while_the_node_waits_to_join_and_200_once_it_is_an_Up_member()
    {
        database = await TestPostgres.CreateDatabaseAsync();
        int[] ports = [ServeProcess.FreePort(), ServeProcess.FreePort()];
        string[] Args(int i) =>
        [
            "serve", "--port", ports[i].ToString(), "--workspace", $"node-{i}", "--db", database.ConnectionString, "--ui-port", "off",
            "--seed", $"127.0.0.1:{ports[0]}", "--seed", $"127.0.0.1:{ports[1]}",
        ];
        // Node 1 is not the first seed: it never forms a cluster of its own, it waits for node 0's.
        var joining = Start([.. Args(1), "--health-port", "0", "--health-host", "127.0.0.1"]);
        var health = await HealthOfAsync(joining);
        var (status, body) = await GetAsync(health, NodeHealthEndpoint.ReadyPath);
        Assert.Equal(503, status);
        Assert.Contains("not an Up member yet", body);
        Assert.Equal(200, (await GetAsync(health, NodeHealthEndpoint.AlivePath)).Status);

        var clock = Stopwatch.StartNew();
        Start(Args(0));
        body = await UntilAsync(health, NodeHealthEndpoint.ReadyPath, 200);
        output.WriteLine($"ready 200 {clock.ElapsedMilliseconds} ms after the first seed was started");
        Assert.Matches("""^\{"status":"Healthy","checks":\[\{"name":"loom-node-ready","status":"Healthy","description":"an Up member taking jobs \(0 of \d+ slots taken\)"\}\]\}$""", body);
        // The line comes from the node's own cluster listener, which may hear of the Up after the readiness check does.
        await joining.WaitForLineAsync(line => line.Contains($"node up akka.tcp://loom@127.0.0.1:{ports[1]}", StringComparison.Ordinal),
            patience: TimeSpan.FromSeconds(30));
    }

    [PostgresFact]
    public async Task On_SIGTERM_with_a_running_job_ready_turns_503_while_alive_stays_200_until_the_drain_is_over()
    {
        database = await TestPostgres.CreateDatabaseAsync();
        var port = ServeProcess.FreePort();
        var node = Start(["serve", "--port", port.ToString(), "--workspace", "node", "--db", database.ConnectionString, "--capacity", "1",
            "--drain-timeout", "60s", "--ui-port", "off", "--health-port", "0"]);
        var health = await HealthOfAsync(node);
        Assert.Contains("(0 of 1 slots taken)", await UntilAsync(health, NodeHealthEndpoint.ReadyPath, 200));

        // A job that runs until the test releases it.
        var started = Path.Combine(folder, "started");
        var release = Path.Combine(folder, "release");
        var workspace = Directory.CreateDirectory(Path.Combine(folder, "project")).FullName;
        File.WriteAllText(Path.Combine(workspace, ".loom.yml"), $$"""
            jobs:
              hold:
                steps:
                  - run: touch '{{started}}'; while [ ! -f '{{release}}' ]; do sleep 0.1; done
            """);
        var submit = Start(["run", "--cluster", $"127.0.0.1:{port}", "--detach"], workspace);
        Assert.Equal(0, await submit.WaitForExitAsync());
        await UntilAsync(() => Task.FromResult(File.Exists(started)), () => "the job to start");
        Assert.Contains("(1 of 1 slots taken)", (await GetAsync(health, NodeHealthEndpoint.ReadyPath)).Body);

        var clock = Stopwatch.StartNew();
        node.Signal("TERM");
        var body = await UntilAsync(health, NodeHealthEndpoint.ReadyPath, 503);
        output.WriteLine($"ready 503 {clock.ElapsedMilliseconds} ms after SIGTERM: {body}");
        Assert.Contains("the node is stopping", body);
        await node.WaitForLineAsync(l => l.Contains("draining: 1 job(s) running", StringComparison.Ordinal));
        // Draining for as long as the job runs: not ready, alive (a liveness failure now would kill the job).
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(503, (await GetAsync(health, NodeHealthEndpoint.ReadyPath)).Status);
            var alive = await GetAsync(health, NodeHealthEndpoint.AlivePath);
            Assert.Equal(200, alive.Status);
            Assert.Contains("running, stopping (ClrExitReason)", alive.Body);
        }

        File.WriteAllText(release, "");
        Assert.Equal(0, await node.WaitForExitAsync());
        output.WriteLine($"exited {clock.ElapsedMilliseconds} ms after SIGTERM");
    }

    private ServeProcess Start(string[] args, string? directory = null)
    {
        var process = ServeProcess.Start(directory ?? folder, args);
        processes.Add(process);
        return process;
    }

    /// <summary>Where the node's health endpoints are, from its line <c>loom serve: health at http://[::]:PORT/health/ready and /health/alive</c>.</summary>
    private static async Task<Uri> HealthOfAsync(ServeProcess node)
    {
        var (line, _) = await node.WaitForLineAsync(l => l.StartsWith("loom serve: health at ", StringComparison.Ordinal));
        var bound = new Uri(HealthLine().Match(line).Groups["url"].Value);
        return new Uri($"http://127.0.0.1:{bound.Port}");
    }

    [GeneratedRegex(@"^loom serve: health at (?<url>\S+)/health/ready and /health/alive$")]
    private static partial Regex HealthLine();

    private static async Task<(int Status, string Body)> GetAsync(Uri health, string path)
    {
        using var response = await Http.GetAsync(new Uri(health, path));
        return ((int)response.StatusCode, (await response.Content.ReadAsStringAsync()).Trim());
    }

    /// <summary>The body of <paramref name="path"/> once it answers <paramref name="status"/>.</summary>
    private static async Task<string> UntilAsync(Uri health, string path, int status)
    {
        var last = (Status: 0, Body: "");
        await UntilAsync(async () => (last = await GetAsync(health, path)).Status == status, () => $"{path} to answer {status} (last: {last.Status} {last.Body})");
        return last.Body;
    }

    private static async Task UntilAsync(Func<Task<bool>> condition, Func<string> what)
    {
        var deadline = DateTime.UtcNow + ServeProcess.Patience;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"waited {ServeProcess.Patience} for {what()}");
            await Task.Delay(100);
        }
    }
}
