using Akka.Actor;
using Akka.Hosting;
using Loom.Actors.Hosting;
using Loom.Actors.Persistence;
using Loom.Actors.Protocol;
using Loom.Actors.Scheduling;
using Loom.Core.Model;
using Loom.Core.Parsing;
using Loom.Actors.Serialization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using static Loom.Actors.Protocol.RunEvents;

namespace Loom.Actors.Tests.Persistence;

/// <summary>
/// A run journaled to a run store (the embedded SQLite one, or PostgreSQL through Akka.Persistence.Sql), read back by a
/// second actor system on the same store.
/// </summary>
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
    [InlineData(RunStore.Sqlite, 1000)]
    [InlineData(RunStore.Sqlite, 4)]
    [PostgresData(1000)]
    [PostgresData(4)]
    public async Task A_runs_events_survive_an_actor_system_restart_and_rebuild_the_same_state(RunStore store, int snapshotEvery)
    {
        this.snapshotEvery = snapshotEvery;
        await using var postgres = store == RunStore.Postgres ? await TestPostgres.CreateDatabaseAsync() : null;
        postgresConnectionString = postgres?.ConnectionString;
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
            var journal = new RunJournal(system, Options().OwnQueryPluginId!);
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

        // A finished run keeps no snapshot: they are deleted when it finishes.
        const int expectedSnapshots = 0;
        if (postgres is not null)
            await AssertPostgresTablesAsync(postgres, before.Events, expectedSnapshots);
        else
            await AssertSqliteFilesAsync(expectedSnapshots);
    }

    /// <summary>Every event in Loom's own format (not Akka's Newtonsoft fallback), the run's tags in the tag table.</summary>
    private static async Task AssertPostgresTablesAsync(TestPostgres postgres, long events, int expectedSnapshots)
    {
        await using var connection = await postgres.OpenAsync();
        await using var journal = new NpgsqlCommand("SELECT identifier, manifest FROM journal ORDER BY sequence_number", connection);
        var rows = new List<(int Serializer, string Manifest)>();
        await using (var reader = await journal.ExecuteReaderAsync())
            while (await reader.ReadAsync())
                rows.Add((reader.GetInt32(0), reader.GetString(1)));
        Assert.Equal(events, rows.Count);
        Assert.All(rows, r => Assert.Equal(LoomMessageSerializer.Id, r.Serializer));
        Assert.Equal(("RunEvents.RunDefined", "RunEvents.RunFinished"), (rows[0].Manifest, rows[^1].Manifest));

        await using var tags = new NpgsqlCommand("SELECT count(*) FROM tags WHERE tag = @tag", connection);
        tags.Parameters.AddWithValue("tag", LoomPersistenceOptions.RunTag);
        Assert.Equal(2L, (long)(await tags.ExecuteScalarAsync())!);

        await using var snapshots = new NpgsqlCommand("SELECT serializer_id, manifest FROM snapshot", connection);
        var saved = new List<(int Serializer, string Manifest)>();
        await using (var reader = await snapshots.ExecuteReaderAsync())
            while (await reader.ReadAsync())
                saved.Add((reader.GetInt32(0), reader.GetString(1)));
        Assert.Equal(expectedSnapshots, saved.Count);
    }

    private async Task AssertSqliteFilesAsync(int expectedSnapshots)
    {
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
        Assert.Equal(expectedSnapshots, (long)(await count.ExecuteScalarAsync())!);
    }

    [Theory]
    [InlineData(RunStore.Sqlite)]
    [PostgresData]
    public async Task A_run_stopped_mid_way_recovers_from_its_snapshot_and_the_events_after_it(RunStore store)
    {
        snapshotEvery = 4;
        await using var postgres = store == RunStore.Postgres ? await TestPostgres.CreateDatabaseAsync() : null;
        postgresConnectionString = postgres?.ConnectionString;
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
            await AwaitSnapshotAsync(postgres);
            // The `wait` step's start is applied (and announced) before it is written: ask until the journal has caught up.
            before = await WrittenStatusAsync(scheduler);
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
        if (postgres is not null)
        {
            // Snapshots go through Loom's serializer too.
            await using var connection = await postgres.OpenAsync();
            await using var snapshots = new NpgsqlCommand("SELECT serializer_id, manifest FROM snapshot", connection);
            await using var reader = await snapshots.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.Equal((LoomMessageSerializer.Id, nameof(RunSnapshot)), (reader.GetInt32(0), reader.GetString(1)));
        }
    }

    private async Task AwaitSnapshotAsync(TestPostgres? postgres)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (await SnapshotCountAsync(postgres) == 0)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("no snapshot was saved");
            await Task.Delay(20);
        }
    }

    private async Task<long> SnapshotCountAsync(TestPostgres? postgres)
    {
        if (postgres is not null)
        {
            await using var connection = await postgres.OpenAsync();
            await using var count = new NpgsqlCommand("SELECT count(*) FROM snapshot", connection);
            return (long)(await count.ExecuteScalarAsync())!;
        }
        await using var sqlite = new SqliteConnection($"Data Source={Path.Combine(Folder, LoomPersistenceOptions.SnapshotFile)}");
        await sqlite.OpenAsync();
        await using var command = sqlite.CreateCommand();
        command.CommandText = "SELECT count(*) FROM snapshot";
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private int snapshotEvery = 1000;
    private string? postgresConnectionString;

    private LoomPersistenceOptions Options() => postgresConnectionString is { } connectionString
        ? new() { PostgresConnectionString = connectionString, SnapshotEvery = snapshotEvery }
        : new() { SqliteFolder = Folder, SnapshotEvery = snapshotEvery };

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

    /// <summary>The run's status once every event applied so far is written (two answers a moment apart agree).</summary>
    private static async Task<SchedulerProtocol.RunStatus> WrittenStatusAsync(IActorRef scheduler)
    {
        var deadline = DateTime.UtcNow + Patience;
        var last = await scheduler.Ask<SchedulerProtocol.RunStatus>(SchedulerProtocol.GetStatus.Instance, Patience);
        while (true)
        {
            await Task.Delay(100);
            var now = await scheduler.Ask<SchedulerProtocol.RunStatus>(SchedulerProtocol.GetStatus.Instance, Patience);
            if (now.Events == last.Events || DateTime.UtcNow > deadline)
                return now;
            last = now;
        }
    }
}
