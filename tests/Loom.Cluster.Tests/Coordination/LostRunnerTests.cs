using Akka.Actor;
using Loom.Actors.Protocol;
using Loom.Cluster.Client;
using Loom.Cluster.Hosting;
using Loom.Cluster.Protocol;
using Loom.Cluster.Runners;
using Loom.Core.Model;

namespace Loom.Cluster.Tests.Coordination;

/// <summary>
/// Remoting delivers at most once: a runner's last report (or its start) may be lost without its node leaving. The
/// dispatcher asks after every placed try; one its node no longer knows runs again instead of staying "running".
/// </summary>
public sealed class LostRunnerTests
{
    [Fact]
    public async Task A_job_whose_runner_vanished_without_reporting_runs_again_as_a_new_attempt()
    {
        await using var cluster = await TestCluster.StartAsync(null, new NodeOptions());
        var system = cluster.Systems[0];
        var workflow = """
            jobs:
              build:
                steps:
                  - run: echo started && sleep 2
            """;
        var address = Akka.Cluster.Cluster.Get(system).SelfAddress;
        await using var submitter = await ClusterSubmitter.ConnectAsync([$"{address.Host}:{address.Port}"]);
        var notifications = submitter.Follow(new ClusterProtocol.SubmitRun("lost-" + Guid.NewGuid().ToString("N")[..6], workflow, "/submitter/project/.loom.yml", ".loom.yml",
            "", [], null, RunContexts.Empty, false, false, Follow: true));
        var received = new List<IRunNotification>();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var stopped = false;
        await foreach (var message in notifications.ReadAllAsync(deadline.Token))
        {
            received.Add(message);
            if (message is LoomProtocol.RunRejected rejected)
                throw new InvalidOperationException(string.Join("\n", rejected.Errors));
            // The runner entity stops as if its node had dropped everything it had to say: no report reaches the scheduler.
            if (!stopped && message is RunEvents.OutputLine { Line: "started" })
            {
                stopped = true;
                system.ActorSelection($"/system/sharding/{NodeShards.TypeName}/*/*").Tell(PoisonPill.Instance);
            }
        }

        var finished = Assert.IsType<RunEvents.RunFinished>(received[^1]);
        Assert.Equal(Result.Success, finished.Result);
        Assert.Contains(received, m => m is RunEvents.JobInterrupted { JobId: "build", Attempt: 1 });
        Assert.Contains(received, m => m is RunEvents.JobStarted { JobId: "build", Attempt: 2 });
        Assert.Equal(2, received.Count(m => m is RunEvents.OutputLine { Line: "started" }));
    }
}
