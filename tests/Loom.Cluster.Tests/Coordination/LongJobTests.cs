using Akka.Actor;
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
        var inbox = Inbox.Create(cluster.Systems[0]);
        cluster.Coordinator().Tell(new ClusterProtocol.SubmitRun("long-" + Guid.NewGuid().ToString("N")[..6], workflow, ".loom.yml", "", [], null, RunContexts.Empty,
            false, false, Follow: true), inbox.Receiver);
        var received = new List<object>();
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        var joined = false;
        while (true)
        {
            object message;
            try
            {
                message = await inbox.ReceiveAsync(deadline - DateTime.UtcNow);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException("the run did not finish; it said:\n" + string.Join("\n", received));
            }
            received.Add(message);
            if (message is LoomProtocol.RunRejected rejected)
                throw new InvalidOperationException(string.Join("\n", rejected.Errors));
            // Once all four run, a third node joins (and the shard coordinator sees a new region).
            if (!joined && received.OfType<RunEvents.StepStarted>().Count() == 4)
            {
                joined = true;
                await cluster.AddNodeAsync(new NodeOptions { Capacity = 2 });
            }
            if (message is RunEvents.RunFinished finished)
            {
                Assert.True(joined);
                Assert.Equal(Result.Success, finished.Result);
                break;
            }
        }
        Assert.Empty(received.OfType<RunEvents.JobInterrupted>());
        var quiet = Assert.Single(received.OfType<RunEvents.JobFinished>(), f => f.JobId == "quiet");
        Assert.Equal(Result.Success, quiet.Result);
        Assert.True(quiet.Duration > TimeSpan.FromMinutes(3));
        Assert.Single(received.OfType<RunEvents.JobStarted>(), s => s.JobId == "quiet");
    }
}
