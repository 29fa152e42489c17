using Akka.Actor;
using Akka.Hosting;
using Loom.Actors.Hosting;
using Loom.Actors.Persistence;
using Loom.Actors.Protocol;
using Loom.Actors.Scheduling;
using Loom.Core.Model;
using Loom.Core.Parsing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using static Loom.Actors.Protocol.RunEvents;

namespace Loom.Actors.Tests.Persistence;

/// <summary>A run journaled to the embedded SQLite store, read back by a second actor system on the same files.</summary>
public sealed class DurableRunTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly string workspace = Directory.CreateTempSubdirectory("loom-durable-").FullName;

    private string Folder => Path.Combine(workspace, ".loom");

    private const string Yaml = """
        jobs:
          build:
            steps:
              - run: echo built
          cells:
            needs: build
            strategy:
              matrix:
                os: [linux, mac]
            steps:
              - run: echo ${{ matrix.os }}
          test:
            needs: build
            steps:
              - run: echo testing
              - name: fails
                run: exit 3
          deploy:
            needs: [test, cells]
            steps:
              - run: echo never
        """;

    [Theory]
    [InlineData(1000)]
    [InlineData(4)]
    public async Task A_runs_events_survive_an_actor_system_restart_and_rebuild_the_same_state(int snapshotEvery)
    {
        this.snapshotEvery = snapshotEvery;
        var path = Path.Combine(workspace, ".loom.yml");
        await File.WriteAllTextAsync(path, Yaml);
        const string runId = "durable-1";

        SchedulerProtocol.RunStatus before;
        using (var host = await StartAsync())
        {
            var system = host.Services.GetRequiredService<ActorSystem>();
            var guardian = host.Services.GetRequiredService<IRequiredActor<LoomGuardianKey>>().ActorRef;
            var kit = new Akka.TestKit.Xunit2.TestKit(system);
            var subscriber = kit.CreateTestProbe();
            guardian.Tell(new LoomProtocol.SubmitRun(runId, path, ".loom.yml", workspace, [], 2, subscriber.Ref));
            var accepted = subscriber.ExpectMsg<LoomProtocol.RunAccepted>(Patience);
            IRunNotification next;
            do
                next = subscriber.ExpectMsg<IRunNotification>(Patience);
            while (next is not RunFinished);
            Assert.Equal(Result.Failure, ((RunFinished)next).Result);
            before = await accepted.Scheduler.Ask<SchedulerProtocol.RunStatus>(SchedulerProtocol.GetStatus.Instance, Patience);
            await host.StopAsync();
        }
        Assert.True(before.Finished);
        Assert.True(before.Events > 10, $"only {before.Events} events journaled");

        using (var host = await StartAsync())
        {
            var system = host.Services.GetRequiredService<ActorSystem>();
            var workflow = WorkflowLoader.LoadFile(path).Workflow!;
            var plan = RunPlan.Create(runId, workflow, [], 2);
            var scheduler = system.ActorOf(SchedulerActor.Props(plan, workspace, RunContexts.Empty, Options()), "recovered");
            // Commands wait until the journal's events are replayed through RunState.Apply.
            var after = await scheduler.Ask<SchedulerProtocol.RunStatus>(SchedulerProtocol.GetStatus.Instance, Patience);

            Assert.Equal(before with { Jobs = [] }, after with { Jobs = [] });
            Assert.Equal(before.Jobs, after.Jobs);
            Assert.Contains(after.Jobs, j => j is { Id: "cells (linux)", Result: Result.Success });
            Assert.Contains(after.Jobs, j => j is { Id: "deploy", Result: Result.Skipped });

            // The read side sees the same run.
            var journal = new RunJournal(system, LoomPersistenceOptions.SqliteQueryPluginId);
            var run = Assert.Single(await journal.RunsAsync());
            Assert.Equal((runId, Result.Failure), (run.RunId, run.Result));
            var events = await journal.EventsAsync(runId);
            Assert.Equal(before.Events, events.Count);
            var defined = Assert.IsType<RunDefined>(events[0]);
            Assert.Equal(Yaml, defined.WorkflowText);
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Yaml))), defined.WorkflowHash);
            Assert.IsType<RunStarted>(events[1]);
            Assert.Contains(events, e => e is StepStarted { JobId: "build", Pid: > 1 });
            Assert.IsType<RunFinished>(events[^1]);
            await host.StopAsync();
        }

        Assert.True(File.Exists(Path.Combine(Folder, LoomPersistenceOptions.JournalFile)));
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(Folder, LoomPersistenceOptions.JournalFile)}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", (string?)await command.ExecuteScalarAsync());

        await using var snapshots = new SqliteConnection($"Data Source={Path.Combine(Folder, LoomPersistenceOptions.SnapshotFile)}");
        await snapshots.OpenAsync();
        await using var count = snapshots.CreateCommand();
        count.CommandText = "SELECT count(*) FROM snapshot";
        // A finished run needs no snapshot: they are deleted when it finishes.
        Assert.Equal(0L, (long)(await count.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task A_run_stopped_mid_way_recovers_from_its_snapshot_and_the_events_after_it()
    {
        snapshotEvery = 4;
        var path = Path.Combine(workspace, ".loom.yml");
        // Enough events before `wait` for a snapshot (at least ten per unit), then `wait` runs until the host stops.
        await File.WriteAllTextAsync(path, """
            jobs:
              cells:
                strategy: { matrix: { n: [1, 2, 3] } }
                steps: [{ run: "true" }, { run: "true" }, { run: "true" }, { run: "true" }, { run: "true" }]
              wait:
                needs: cells
                steps:
                  - run: while [ ! -f go ]; do sleep 0.05; done
            """);
        const string runId = "durable-2";
        SchedulerProtocol.RunStatus before;
        using (var host = await StartAsync())
        {
            var system = host.Services.GetRequiredService<ActorSystem>();
            var guardian = host.Services.GetRequiredService<IRequiredActor<LoomGuardianKey>>().ActorRef;
            var subscriber = new Akka.TestKit.Xunit2.TestKit(system).CreateTestProbe();
            guardian.Tell(new LoomProtocol.SubmitRun(runId, path, ".loom.yml", workspace, [], 4, subscriber.Ref));
            var scheduler = subscriber.ExpectMsg<LoomProtocol.RunAccepted>(Patience).Scheduler;
            subscriber.FishForMessage(m => m is StepStarted { JobId: "wait" }, Patience);
            await AwaitSnapshotsAsync(expected: true);
            before = await scheduler.Ask<SchedulerProtocol.RunStatus>(SchedulerProtocol.GetStatus.Instance, Patience);
            await host.StopAsync();
        }
        Assert.False(before.Finished);
        Assert.Contains(before.Jobs, j => j is { Id: "wait", Phase: JobPhase.Running });

        using (var host = await StartAsync())
        {
            var system = host.Services.GetRequiredService<ActorSystem>();
            var plan = RunPlan.Create(runId, WorkflowLoader.LoadFile(path).Workflow!, [], 4);
            var scheduler = system.ActorOf(SchedulerActor.Props(plan, workspace, RunContexts.Empty, Options()), "recovered");
            var after = await scheduler.Ask<SchedulerProtocol.RunStatus>(SchedulerProtocol.GetStatus.Instance, Patience);
            Assert.Equal(before with { Jobs = [] }, after with { Jobs = [] });
            Assert.Equal(before.Jobs, after.Jobs);
            await host.StopAsync();
        }
    }

    private async Task AwaitSnapshotsAsync(bool expected)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            await using (var connection = new SqliteConnection($"Data Source={Path.Combine(Folder, LoomPersistenceOptions.SnapshotFile)}"))
            {
                await connection.OpenAsync();
                await using var count = connection.CreateCommand();
                count.CommandText = "SELECT count(*) FROM snapshot";
                if ((long)(await count.ExecuteScalarAsync())! > 0 == expected)
                    return;
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("no snapshot was saved");
            await Task.Delay(20);
        }
    }

    private int snapshotEvery = 1000;

    private LoomPersistenceOptions Options() => new() { SqliteFolder = Folder, SnapshotEvery = snapshotEvery };

    private async Task<IHost> StartAsync()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddAkka("durable", akka => akka.WithLoom(o => o.Persistence = Options()));
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(workspace, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
