using Loom.Actors.Client;
using Loom.Actors.Protocol;
using Loom.Actors.Tests.Persistence;
using Loom.Cluster.Hosting;
using Loom.Core.Model;
using static Loom.Actors.Protocol.RunEvents;

namespace Loom.Cluster.Tests.Client;

/// <summary>A clustered host's <see cref="ILoomClient"/> (<c>WithLoomCluster</c>): its runs go to the cluster's coordinator.</summary>
public sealed class ClusterLoomClientTests : IAsyncLifetime
{
    private TestPostgres? postgres;
    private readonly string project = Directory.CreateTempSubdirectory("loom-cluster-client-").FullName;

    public async Task InitializeAsync()
    {
        if (TestPostgres.SkipReason is null)
            postgres = await TestPostgres.CreateDatabaseAsync();
    }

    public async Task DisposeAsync()
    {
        if (postgres is not null)
            await postgres.DisposeAsync();
        Directory.Delete(project, recursive: true);
    }

    [PostgresFact]
    public async Task A_run_of_a_file_takes_the_files_of_its_folder_to_the_nodes()
    {
        await using var cluster = await TestCluster.StartAsync(postgres!.ConnectionString, new NodeOptions(), new NodeOptions());
        var client = await LoomClients.Get(cluster.Systems[1]).ClientAsync();
        File.WriteAllText(Path.Combine(project, "data.txt"), "forty-two\n");
        File.WriteAllText(Path.Combine(project, "ci.loom.yml"), "jobs:\n  read:\n    steps:\n      - run: cat data.txt\n");
        var submitted = await client.SubmitFileAsync(Path.Combine(project, "ci.loom.yml"));
        Assert.True(submitted.Accepted, string.Join("\n", submitted.Errors));
        Assert.Empty(submitted.Warnings);
        var seen = await ObserveAllAsync(client, submitted.RunId);
        Assert.Contains(seen, n => n is OutputLine { JobId: "read", Line: "forty-two" });
        Assert.Equal(Result.Success, Assert.IsType<RunFinished>(seen[^1]).Result);
        await TestCluster.WaitUntilAsync(() => client.RunsAsync().Result.Any(r => r.RunId == submitted.RunId && r.Result == Result.Success));
    }

    private static async Task<List<IRunNotification>> ObserveAllAsync(ILoomClient client, string runId)
    {
        using var timeout = new CancellationTokenSource(TestCluster.Patience);
        var seen = new List<IRunNotification>();
        await foreach (var notification in client.ObserveAsync(runId, timeout.Token))
            seen.Add(notification);
        return seen;
    }

    [Fact]
    public async Task A_clustered_host_submits_to_the_coordinator_and_observes_cancels_and_reads_its_runs()
    {
        await using var cluster = await TestCluster.StartAsync(null, new NodeOptions(), new NodeOptions());
        // The second node's client: the coordinator runs on the oldest node, the first.
        var client = await LoomClients.Get(cluster.Systems[1]).ClientAsync();
        Assert.Equal("ClusterLoomClient", client.GetType().Name);

        var submitted = await client.SubmitTextAsync("""
            jobs:
              build:
                steps:
                  - run: echo "built on a node"
              test:
                needs: build
                steps:
                  - run: echo tested
            """);
        Assert.True(submitted.Accepted, string.Join("\n", submitted.Errors));
        var seen = await ObserveAllAsync(client, submitted.RunId);
        Assert.IsType<LoomProtocol.RunAccepted>(seen[0]);
        Assert.Contains(seen, n => n is OutputLine { JobId: "build", Line: "built on a node" });
        Assert.Equal(Result.Success, Assert.IsType<RunFinished>(seen[^1]).Result);
        var details = await client.GetRunAsync(submitted.RunId);
        Assert.Equal(LoomRunState.Finished, details!.State);
        Assert.Equal([Result.Success, Result.Success], details.Jobs.Select(j => j.Result));
        await TestCluster.WaitUntilAsync(() => client.RunsAsync().Result.Any(r => r.RunId == submitted.RunId && r.Result == Result.Success));

        var invalid = await client.SubmitTextAsync("jobs:\n  a:\n    needs: b\n    steps:\n      - run: 'true'\n");
        Assert.False(invalid.Accepted);
        Assert.Matches(@"^inline\.loom\.yml:3:\d+: error: ", Assert.Single(invalid.Errors));

        var slow = await client.SubmitTextAsync("jobs:\n  wait:\n    steps:\n      - run: echo waiting; sleep 30\n");
        Assert.True(slow.Accepted);
        using var timeout = new CancellationTokenSource(TestCluster.Patience);
        await foreach (var notification in client.ObserveAsync(slow.RunId, timeout.Token))
            if (notification is OutputLine { Line: "waiting" })
                break;
        Assert.True(await client.CancelAsync(slow.RunId));
        Assert.Equal(Result.Cancelled, Assert.IsType<RunFinished>((await ObserveAllAsync(client, slow.RunId))[^1]).Result);
        Assert.False((await client.ResumeAsync(slow.RunId)).Accepted);

        // A cluster without a database keeps no files: a run of a file goes without them, and says so.
        File.WriteAllText(Path.Combine(project, "ci.loom.yml"), "jobs:\n  here:\n    steps:\n      - run: ls\n");
        var ofFile = await client.SubmitFileAsync(Path.Combine(project, "ci.loom.yml"));
        Assert.True(ofFile.Accepted, string.Join("\n", ofFile.Errors));
        Assert.Contains("were not sent", Assert.Single(ofFile.Warnings));
        Assert.Equal(Result.Success, Assert.IsType<RunFinished>((await ObserveAllAsync(client, ofFile.RunId))[^1]).Result);
    }
}
