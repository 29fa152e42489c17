using Akka.Actor;
using Akka.TestKit.Xunit2;
using Loom.Actors.Protocol;
using Loom.Cluster.Coordination;
using Loom.Cluster.Protocol;
using Loom.Core.Model;

namespace Loom.Cluster.Tests.Coordination;

public sealed class RunRelayTests : TestKit
{
    private static readonly DateTimeOffset At = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void What_a_run_said_while_no_one_followed_reaches_the_next_follower_first()
    {
        // A run recovered after a hand-over goes on before its submitter finds the new coordinator.
        var coordinator = CreateTestProbe();
        var relay = Sys.ActorOf(RunRelay.Props("r1", null, coordinator.Ref));
        relay.Tell(new RunEvents.JobInterrupted("build", 1, At));
        relay.Tell(new RunEvents.JobStarted("build", 2, At));

        var submitter = CreateTestProbe();
        relay.Tell(new ClusterProtocol.FollowRun("r1"), submitter.Ref);

        submitter.ExpectMsg<RunEvents.JobInterrupted>();
        submitter.ExpectMsg<RunEvents.JobStarted>(s => Assert.Equal(2, s.Attempt));
        submitter.ExpectMsg<ClusterProtocol.Following>();
        relay.Tell(new RunEvents.RunFinished(Result.Success, TimeSpan.FromSeconds(3), At));
        submitter.ExpectMsg<RunEvents.RunFinished>();
        coordinator.ExpectMsg<RunRelay.Ended>(e => Assert.Equal(Result.Success, e.Result));
    }
}
