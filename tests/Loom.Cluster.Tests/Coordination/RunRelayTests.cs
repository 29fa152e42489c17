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

    private IRunNotification Open(ClusterProtocol.RunNotice notice) => (IRunNotification)notice.Notification.Open(Sys.Serialization);

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

        Assert.IsType<RunEvents.JobInterrupted>(Open(submitter.ExpectMsg<ClusterProtocol.RunNotice>(n => Assert.Equal(1, n.Seq))));
        Assert.Equal(2, ((RunEvents.JobStarted)Open(submitter.ExpectMsg<ClusterProtocol.RunNotice>(n => Assert.Equal(2, n.Seq)))).Attempt);
        var following = submitter.ExpectMsg<ClusterProtocol.Following>();
        Assert.Equal(2, following.Sent);
        relay.Tell(new RunEvents.RunFinished(Result.Success, TimeSpan.FromSeconds(3), At));
        Assert.IsType<RunEvents.RunFinished>(Open(submitter.ExpectMsg<ClusterProtocol.RunNotice>()));
        coordinator.ExpectMsg<RunRelay.Ended>(e => Assert.Equal(Result.Success, e.Result));
    }

    [Fact]
    public void A_new_follower_and_a_follower_that_saw_a_gap_get_again_what_they_lack()
    {
        var coordinator = CreateTestProbe();
        var first = CreateTestProbe();
        var relay = Sys.ActorOf(RunRelay.Props("r1", first.Ref, coordinator.Ref));
        for (var i = 1; i <= 3; i++)
            relay.Tell(new RunEvents.JobStarted("job" + i, 1, At));
        var relayId = first.ExpectMsg<ClusterProtocol.RunNotice>().Relay;
        first.ExpectMsg<ClusterProtocol.RunNotice>();
        first.ExpectMsg<ClusterProtocol.RunNotice>();

        // The same follower asks for what came after notice 1 (it lost 2 and 3).
        relay.Tell(new ClusterProtocol.FollowRun("r1") { Relay = relayId, After = 1, Replay = true }, first.Ref);
        Assert.Equal([2L, 3L], [first.ExpectMsg<ClusterProtocol.RunNotice>().Seq, first.ExpectMsg<ClusterProtocol.RunNotice>().Seq]);
        first.ExpectMsg<ClusterProtocol.Following>(f => Assert.Equal(3, f.Sent));

        // Its plain follow (no gap seen) repeats nothing.
        relay.Tell(new ClusterProtocol.FollowRun("r1") { Relay = relayId, After = 3 }, first.Ref);
        first.ExpectMsg<ClusterProtocol.Following>();

        // Through another tunnel (its contact node died): everything after what it has.
        var second = CreateTestProbe();
        relay.Tell(new ClusterProtocol.FollowRun("r1") { Relay = relayId, After = 2 }, second.Ref);
        second.ExpectMsg<ClusterProtocol.RunNotice>(n => Assert.Equal(3, n.Seq));
        second.ExpectMsg<ClusterProtocol.Following>();
        relay.Tell(new RunEvents.JobStarted("job4", 1, At));
        second.ExpectMsg<ClusterProtocol.RunNotice>(n => Assert.Equal(4, n.Seq));
        first.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void Notices_older_than_what_it_keeps_are_said_to_be_dropped()
    {
        var coordinator = CreateTestProbe();
        var relay = Sys.ActorOf(RunRelay.Props("r1", null, coordinator.Ref));
        for (var i = 0; i < RunRelay.MaxKept + 5; i++)
            relay.Tell(new RunEvents.OutputLine("build", 0, "line " + i, At));

        var submitter = CreateTestProbe();
        relay.Tell(new ClusterProtocol.FollowRun("r1"), submitter.Ref);
        submitter.ExpectMsg<ClusterProtocol.NoticesDropped>(d => Assert.Equal(5, d.Through));
        submitter.ExpectMsg<ClusterProtocol.RunNotice>(n => Assert.Equal(6, n.Seq));
    }

    [Fact]
    public void After_the_end_the_relay_stops_once_its_follower_has_everything()
    {
        var coordinator = CreateTestProbe();
        var submitter = CreateTestProbe();
        var relay = Sys.ActorOf(RunRelay.Props("r1", submitter.Ref, coordinator.Ref));
        Watch(relay);
        relay.Tell(new RunEvents.JobStarted("build", 1, At));
        relay.Tell(new RunEvents.RunFinished(Result.Success, TimeSpan.FromSeconds(1), At));
        var relayId = submitter.ExpectMsg<ClusterProtocol.RunNotice>().Relay;
        submitter.ExpectMsg<ClusterProtocol.RunNotice>();
        coordinator.ExpectMsg<RunRelay.Ended>();

        // The follower lost nothing but asks late for the start again: the relay still has it.
        relay.Tell(new ClusterProtocol.FollowRun("r1") { Relay = relayId, After = 0, Replay = true }, submitter.Ref);
        submitter.ExpectMsg<ClusterProtocol.RunNotice>(n => Assert.Equal(1, n.Seq));
        relay.Tell(new ClusterProtocol.FollowRun("r1") { Relay = relayId, After = 2 }, submitter.Ref);
        ExpectTerminated(relay);
    }
}
