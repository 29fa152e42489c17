using Loom.Actors.Client;
using Loom.Actors.Protocol;
using Loom.Cluster.Hosting;
using Loom.Core.Model;
using static Loom.Actors.Protocol.RunEvents;

namespace Loom.Cluster.Tests.Client;

/// <summary>A clustered host's <see cref="ILoomClient"/> (<c>WithLoomCluster</c>): its runs go to the cluster's coordinator.</summary>
public sealed class ClusterLoomClientTests
{
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
    }
}
