using Loom.Cluster.Client;
using Loom.Actors.Protocol;
using Loom.Cluster.Hosting;
using Loom.Cluster.Protocol;
using Loom.Core.Model;

namespace Loom.Cluster.Tests.Coordination;

/// <summary>
/// Sharding's defaults would kill a running job: idle passivation (120 s) stops a runner whose job prints nothing, and a
/// node that joins takes shards (stopping their entities). Neither may touch a running job.
/// </summary>
public sealed class LongJobTests
{
    [Fact]
    public async Task Runner_entities_are_never_passivated_for_idleness()
    {
        await using var cluster = await TestCluster.StartAsync(null, new NodeOptions());
        var settings = Akka.Cluster.Sharding.ClusterShardingSettings.Create(cluster.Systems[0]);
        Assert.Equal(TimeSpan.Zero, settings.PassivateIdleEntityAfter);
    }

    [Fact]
    public async Task A_job_silent_for_three_minutes_completes_and_a_node_joining_mid_run_interrupts_nothing()
    {
        await using var cluster = await TestCluster.StartAsync(null, new NodeOptions { Capacity = 2 }, new NodeOptions { Capacity = 2 });
        var workflow = """
            jobs:
              quiet:
                steps:
                  - run: sleep 185
              busy1:
                steps:
                  - run: sleep 20
              busy2:
                steps:
                  - run: sleep 20
              busy3:
                steps:
                  - run: sleep 20
            """;
        // Followed as `loom run --cluster` does: through a cluster client, telling the coordinator every few seconds that it still follows.
        var address = Akka.Cluster.Cluster.Get(cluster.Systems[0]).SelfAddress;
        await using var submitter = await ClusterSubmitter.ConnectAsync([$"{address.Host}:{address.Port}"]);
        var notifications = submitter.Follow(new ClusterProtocol.SubmitRun("long-" + Guid.NewGuid().ToString("N")[..6], workflow, "/submitter/project/.loom.yml", ".loom.yml", "", [], null,
            RunContexts.Empty, false, false, Follow: true));
        var received = new List<IRunNotification>();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var joined = false;
        await foreach (var message in notifications.ReadAllAsync(deadline.Token))
        {
            received.Add(message);
            if (message is LoomProtocol.RunRejected rejected)
                throw new InvalidOperationException(string.Join("\n", rejected.Errors));
            // Once all four run, a third node joins (and the shard coordinator sees a new region).
            if (!joined && received.OfType<RunEvents.StepStarted>().Count() == 4)
            {
                joined = true;
                await cluster.AddNodeAsync(new NodeOptions { Capacity = 2 });
            }
        }
        Assert.True(joined);
        Assert.Equal(Result.Success, Assert.Single(received.OfType<RunEvents.RunFinished>()).Result);
        Assert.Empty(received.OfType<RunEvents.JobInterrupted>());
        var quiet = Assert.Single(received.OfType<RunEvents.JobFinished>(), f => f.JobId == "quiet");
        Assert.Equal(Result.Success, quiet.Result);
        Assert.True(quiet.Duration > TimeSpan.FromMinutes(3));
        Assert.Single(received.OfType<RunEvents.JobStarted>(), s => s.JobId == "quiet");
    }
}
