using System.Diagnostics;
using System.Text.Json;
using Akka.Actor;
using Akka.Hosting;
using Loom.Actors.Hosting;
using Loom.Actors.Persistence;
using Loom.Actors.Protocol;
using Loom.Actors.Serialization;
using Loom.Actors.Tests.Persistence;
using Loom.Cluster.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace Loom.Cluster.Tests;

/// <summary>
/// Three real <c>loom serve</c> nodes and PostgreSQL; <c>loom run --cluster</c> submits 30 jobs; a node is killed with
/// SIGKILL while it runs some of them. The run still finishes, every job succeeded, and the journal records each job's
/// success once (the attempts cut short are recorded as interrupted).
/// </summary>
public sealed class FailoverTests(ITestOutputHelper testOutput) : ProcessTests(testOutput, "loom-failover-")
{

    [PostgresFact]
    public Task A_run_finishes_when_a_node_running_its_jobs_is_killed() => KillDuringRunAsync(victim: 2);

    [PostgresFact]
    public Task A_run_finishes_when_the_node_holding_the_run_coordinator_is_killed() => KillDuringRunAsync(victim: 0);

    [PostgresFact]
    public async Task Runs_of_one_concurrency_group_stay_apart_when_the_node_holding_the_run_coordinator_is_killed()
    {
        // The coordinator's node runs no job (no label of theirs): killing it kills no step, only the coordinator.
        var (nodes, ports, _, _) = await StartThreeNodesAsync(i => ["--labels", i == 0 ? "none" : "deploy"]);
        var contacts = string.Join(',', ports.Select(p => $"127.0.0.1:{p}"));
        var shared = Directory.CreateDirectory(Path.Combine(folder, "shared")).FullName;
        var workspace = Directory.CreateDirectory(Path.Combine(folder, "project")).FullName;
        File.WriteAllText(Path.Combine(workspace, ".loom.yml"), $$"""
            concurrency: deploy
            jobs:
              deploy:
                runs-on: deploy
                steps:
                  - run: |
                      cd {{shared}}
                      ls running.* > "seen.$LOOM_RUN_ID" 2>/dev/null || true
                      touch "running.$LOOM_RUN_ID"
                      echo "$LOOM_RUN_ID" >> started.txt
                      while [ ! -f go-on ]; do sleep 0.05; done
                      rm "running.$LOOM_RUN_ID"
            """);
        var first = ServeProcess.Start(workspace, "run", "--cluster", contacts, "--json");
        processes.Add(first);
        var started = Path.Combine(shared, "started.txt");
        // Created (by the shell's redirection) a moment before the id is written into it.
        await WaitForAsync(() => File.Exists(started) && File.ReadAllText(started).EndsWith('\n'), TimeSpan.FromSeconds(90), first);
        var firstRun = File.ReadAllText(started).Trim();
        var second = ServeProcess.Start(workspace, "run", "--cluster", contacts, "--json");
        processes.Add(second);
        var waiting = $"waiting for run {firstRun} (group deploy)";
        await WaitForAsync(() => second.Stderr.Contains(waiting, StringComparison.Ordinal), TimeSpan.FromSeconds(90), second);

        nodes[0].Signal("KILL");
        // The new coordinator goes on with the first run (journaled) as its group's holder, its job as a new attempt (the
        // runner of the first stops with its scheduler). The second was never journaled: its submitter finds that the new
        // coordinator does not know it, submits it again, and it waits again.
        await WaitForAsync(() => second.Lines.Count(l => l == waiting) == 2, TimeSpan.FromSeconds(90), second);
        Assert.All(File.ReadAllLines(started), run => Assert.Equal(firstRun, run));
        File.WriteAllText(Path.Combine(shared, "go-on"), "");

        Assert.Equal(0, await first.WaitForExitAsync(TimeSpan.FromMinutes(2)));
        Assert.Equal(0, await second.WaitForExitAsync(TimeSpan.FromMinutes(2)));
        var runs = File.ReadAllLines(started);
        Assert.All(runs[..^1], run => Assert.Equal(firstRun, run));
        Assert.NotEqual(firstRun, runs[^1]);
        Assert.Equal("", File.ReadAllText(Path.Combine(shared, "seen." + runs[^1])));
    }

    /// <summary>Three nodes, each listing all three as seeds; the first is started first, so it holds the coordinator singleton.</summary>
    private async Task<(List<ServeProcess> Nodes, int[] Ports, string[] Addresses, TestPostgres Database)> StartThreeNodesAsync(Func<int, string[]>? more = null)
    {
        var db = database = await TestPostgres.CreateDatabaseAsync();
        var ports = Enumerable.Range(0, 3).Select(_ => ServeProcess.FreePort()).ToArray();
        var addresses = ports.Select(p => $"akka.tcp://loom@127.0.0.1:{p}").ToArray();
        string[] Args(int i) =>
        [
            "serve", "--port", ports[i].ToString(), "--workspace", $"node-{i}", "--db", db.ConnectionString, "--capacity", "4",
            .. ports.SelectMany(p => new[] { "--seed", $"127.0.0.1:{p}" }),
            .. more?.Invoke(i) ?? [],
        ];
        var nodes = new List<ServeProcess> { Start(Args(0)) };
        await nodes[0].WaitForLineAsync(l => l.Contains($"node up {addresses[0]}", StringComparison.Ordinal));
        nodes.Add(Start(Args(1)));
        nodes.Add(Start(Args(2)));
        foreach (var address in addresses)
            await nodes[0].WaitForLineAsync(l => l.Contains($"member up {address} ", StringComparison.Ordinal));
        return (nodes, ports, addresses, db);
    }

    private async Task KillDuringRunAsync(int victim)
    {
        var (nodes, ports, addresses, db) = await StartThreeNodesAsync();

        var workspace = Directory.CreateDirectory(Path.Combine(folder, "project")).FullName;
        File.WriteAllText(Path.Combine(workspace, ".loom.yml"), Workflow());
        var run = ServeProcess.Start(workspace, "run", "--cluster", string.Join(',', ports.Select(p => $"127.0.0.1:{p}")), "--json");
        processes.Add(run);
        // Kill the victim once it runs a job.
        var victimAddress = addresses[victim];
        await WaitForAsync(() => run.Stdout.Contains($"on {victimAddress}", StringComparison.Ordinal), TimeSpan.FromSeconds(90), run);
        var killedAt = Stopwatch.StartNew();
        nodes[victim].Signal("KILL");

        Assert.Equal(0, await run.WaitForExitAsync(TimeSpan.FromMinutes(3)));
        output.WriteLine($"run finished {killedAt.Elapsed.TotalSeconds:0.0} s after the kill");
        var events = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var runId = events.First(e => e.GetProperty("event").GetString() == "runStarted").GetProperty("runId").GetString()!;
        Assert.Equal("success", events.Last(e => e.GetProperty("event").GetString() == "runFinished").GetProperty("result").GetString());

        // The journal: each job succeeded exactly once; attempts on the killed node are recorded as interrupted.
        var journaled = await JournalAsync(db.ConnectionString, runId);
        var finished = journaled.OfType<RunEvents.JobFinished>().ToList();
        Assert.Equal(30, finished.Count);
        Assert.Equal(30, finished.Select(f => f.JobId).Distinct().Count());
        Assert.All(finished, f => Assert.Equal(Loom.Core.Model.Result.Success, f.Result));
        var interrupted = journaled.OfType<RunEvents.JobInterrupted>().ToList();
        output.WriteLine($"{interrupted.Count} attempts interrupted: {string.Join(", ", interrupted.Select(i => $"{i.JobId}#{i.Attempt}"))}");
        Assert.NotEmpty(interrupted);
        foreach (var cut in interrupted)
            Assert.Contains(journaled.OfType<RunEvents.JobStarted>(), s => s.JobId == cut.JobId && s.Attempt > cut.Attempt);
    }

    [PostgresFact]
    public async Task A_node_stopped_with_SIGTERM_drains_hands_its_running_job_back_and_the_job_runs_elsewhere()
    {
        database = await TestPostgres.CreateDatabaseAsync();
        var ports = Enumerable.Range(0, 2).Select(_ => ServeProcess.FreePort()).ToArray();
        var addresses = ports.Select(p => $"akka.tcp://loom@127.0.0.1:{p}").ToArray();
        string[] Args(int i) =>
        [
            "serve", "--port", ports[i].ToString(), "--workspace", $"node-{i}", "--db", database.ConnectionString, "--capacity", "1", "--drain-timeout", "2s",
            .. ports.SelectMany(p => new[] { "--seed", $"127.0.0.1:{p}" }),
        ];
        var first = Start(Args(0));
        await first.WaitForLineAsync(l => l.Contains($"node up {addresses[0]}", StringComparison.Ordinal));
        var second = Start(Args(1));
        await first.WaitForLineAsync(l => l.Contains($"member up {addresses[1]} ", StringComparison.Ordinal));

        // One job per node (capacity 1 each); the one on the second node would run for two minutes, elsewhere it takes a moment.
        var workspace = Directory.CreateDirectory(Path.Combine(folder, "project")).FullName;
        File.WriteAllText(Path.Combine(workspace, ".loom.yml"), $$"""
            jobs:
              a:
                steps:
                  - run: echo "on $LOOM_NODE"; if [ "$LOOM_NODE" = "{{addresses[1]}}" ]; then sleep 120; else sleep 2; fi
              b:
                steps:
                  - run: echo "on $LOOM_NODE"; if [ "$LOOM_NODE" = "{{addresses[1]}}" ]; then sleep 120; else sleep 2; fi
            """);
        var run = ServeProcess.Start(workspace, "run", "--cluster", $"127.0.0.1:{ports[0]}", "--json");
        processes.Add(run);
        await WaitForAsync(() => run.Stdout.Contains($"on {addresses[1]}", StringComparison.Ordinal), TimeSpan.FromSeconds(90), run);
        var stopping = Stopwatch.StartNew();
        second.Signal("TERM");

        Assert.Equal(0, await second.WaitForExitAsync());
        Assert.Equal(0, await run.WaitForExitAsync(TimeSpan.FromMinutes(2)));
        output.WriteLine($"node stopped {stopping.Elapsed.TotalSeconds:0.0} s after SIGTERM; run over");
        var events = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Single(events, e => e.GetProperty("event").GetString() == "jobInterrupted");
        Assert.Equal(2, events.Count(e => e.GetProperty("event").GetString() == "jobFinished" && e.GetProperty("result").GetString() == "success"));
        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(60), "the node waited for the two-minute job instead of handing it back");
    }

    /// <summary>30 jobs of about a second: ten at the root, ten needing two of those, ten needing one of the second row.</summary>
    private static string Workflow()
    {
        var jobs = new System.Text.StringBuilder("jobs:\n");
        for (var i = 0; i < 30; i++)
        {
            jobs.Append($"  j{i}:\n");
            if (i >= 20)
                jobs.Append($"    needs: [j{i - 10}]\n");
            else if (i >= 10)
                jobs.Append($"    needs: [j{i - 10}, j{(i - 9) % 10}]\n");
            jobs.Append("    steps:\n      - run: echo \"on $LOOM_NODE\" && sleep 1\n");
        }
        return jobs.ToString();
    }

    private static async Task<IReadOnlyList<IRunEvent>> JournalAsync(string connectionString, string runId)
    {
        var collection = new ServiceCollection();
        collection.AddSingleton<IHostApplicationLifetime, TestLifetime>();
        collection.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        collection.AddAkka("journal-reader", akka => akka
            .WithLoomSerialization()
            .WithLoomPersistence(new LoomPersistenceOptions { PostgresConnectionString = connectionString }));
        await using var services = collection.BuildServiceProvider();
        var hosted = services.GetServices<IHostedService>().ToArray();
        foreach (var service in hosted)
            await service.StartAsync(CancellationToken.None);
        try
        {
            return await new RunJournal(services.GetRequiredService<ActorSystem>(), LoomPersistenceOptions.PostgresQueryPluginId).EventsAsync(runId);
        }
        finally
        {
            foreach (var service in hosted.Reverse())
                await service.StopAsync(CancellationToken.None);
        }
    }

    private static async Task WaitForAsync(Func<bool> condition, TimeSpan patience, ServeProcess run)
    {
        var deadline = DateTime.UtcNow + patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"not seen in time; the run printed:\n{run.Stdout}\n{run.Stderr}");
            await Task.Delay(50);
        }
    }

    private ServeProcess Start(string[] args)
    {
        var process = ServeProcess.Start(folder, args);
        processes.Add(process);
        return process;
    }

    private sealed class TestLifetime : IHostApplicationLifetime
    {
        public CancellationToken ApplicationStarted => CancellationToken.None;
        public CancellationToken ApplicationStopping => CancellationToken.None;
        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication()
        {
        }
    }
}
