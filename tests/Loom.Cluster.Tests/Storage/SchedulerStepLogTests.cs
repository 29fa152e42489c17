using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit.Xunit2;
using Loom.Actors;
using Loom.Actors.Hosting;
using Loom.Actors.Protocol;
using Loom.Cluster.Hosting;
using Loom.Core.Model;
using Xunit.Abstractions;
using static Loom.Actors.Protocol.RunEvents;

namespace Loom.Cluster.Tests.Storage;

/// <summary>A run's scheduler with <see cref="ClusterStepLogs.PostgresStepLogs"/>: every line is in PostgreSQL when the run's end is told.</summary>
public sealed class SchedulerStepLogTests(ITestOutputHelper output)
    : TestKit(ConfigurationFactory.ParseString("akka.test.single-expect-default = 60s")), IAsyncLifetime
{
    private TestSchema schema = null!;
    private readonly string workspace = Directory.CreateTempSubdirectory("loom-central-logs-").FullName;

    public async Task InitializeAsync() => schema = await TestSchema.CreateAsync();

    async Task IAsyncLifetime.DisposeAsync()
    {
        await schema.DisposeAsync();
        Directory.Delete(workspace, recursive: true);
    }

    private (TimeSpan Elapsed, Result Result) Run(string name, LoomStepLogOptions logs, string yaml)
    {
        var path = Path.Combine(workspace, name + ".yml");
        File.WriteAllText(path, yaml);
        var guardian = Sys.ActorOf(LoomGuardian.Props(new LoomOptions { StepLogs = logs }), "loom-" + name);
        var subscriber = CreateTestProbe();
        var watch = Stopwatch.StartNew();
        guardian.Tell(new LoomProtocol.SubmitRun(name, path, name + ".yml", workspace, [], 4, subscriber.Ref));
        var finished = (RunFinished)subscriber.FishForMessage(m => m is RunFinished or LoomProtocol.RunRejected, TimeSpan.FromMinutes(2));
        return (watch.Elapsed, finished.Result);
    }

    private const string Workflow = """
        jobs:
          a:
            steps:
              - name: print
                run: seq 1 {0}
          b:
            steps:
              - name: print
                run: seq 1 {0}
          c:
            needs: [a, b]
            steps:
              - run: echo done
        """;

    [PostgresFact]
    public async Task Every_line_of_a_run_is_stored_centrally_before_its_end_is_told()
    {
        const int lines = 100_000;
        var bound = Environment.GetEnvironmentVariable("LOOM_TEST_LOG_BUFFER") is { } mib ? long.Parse(mib) * 1024 * 1024 : 64L * 1024 * 1024;
        var logs = ClusterStepLogs.PostgresStepLogs(schema.DataSource, maxUnitBytes: 64L * 1024 * 1024, maxBufferedBytes: bound);
        Assert.True(new LoomStepLogOptionsValidator().Validate(logs).IsValid);

        var (elapsed, result) = Run("central", logs, string.Format(Workflow, lines));

        Assert.Equal(Result.Success, result);
        // Read at once: RunFinished came only after the sink's CloseAllAsync.
        var store = new Loom.Cluster.Storage.PostgresStepLogStore(schema.DataSource);
        foreach (var unit in new[] { "a", "b" })
        {
            var stored = new List<string>();
            await foreach (var entry in store.ReadAsync("central", unit))
                stored.Add(entry.Line);
            Assert.Equal(["::step 1 print", .. Enumerable.Range(1, lines).Select(i => i.ToString())], stored);
        }
        // The rows, not their count: a failure shows what was stored.
        Assert.Equal("1 ::step 1 echo done | 1 done", await schema.ScalarAsync<string>(
            "SELECT string_agg(attempt || ' ' || line, ' | ' ORDER BY seq) FROM loom_step_logs WHERE unit_id = 'c'"));

        // The same run to files, for comparison.
        var (filesElapsed, _) = Run("files", new LoomStepLogOptions { RunsFolder = Path.Combine(workspace, "runs") }, string.Format(Workflow, lines));
        output.WriteLine($"{2 * lines} lines through a scheduler: PostgreSQL {elapsed.TotalMilliseconds:F0} ms ({2 * lines / elapsed.TotalSeconds:F0} lines/s), " +
            $"files {filesElapsed.TotalMilliseconds:F0} ms ({2 * lines / filesElapsed.TotalSeconds:F0} lines/s)");
    }
}
