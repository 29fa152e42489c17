using Akka.Actor;
using Loom.Cluster.Hosting;
using Loom.Cluster.Protocol;

namespace Loom.Cluster.Tests.Support;

public sealed class VerifyingMailboxTests
{
    /// <summary>A Loom message no serializer can write (a delegate): what the mailbox must catch.</summary>
    public sealed record Unwritable(Func<int> Value);

    [Fact]
    public async Task Loom_messages_reach_actors_of_a_test_cluster_as_serialized_copies_and_one_that_cannot_be_written_fails_the_test()
    {
        var cluster = await TestCluster.StartAsync(null, new NodeOptions());
        var system = cluster.Systems[0];
        var inbox = Inbox.Create(system);
        var echo = system.ActorOf(Props.Create(() => new Echo()));

        var follow = new ClusterProtocol.FollowRun("r1") { Relay = "a1", After = 3 };
        echo.Tell(follow, inbox.Receiver);
        var copy = (ClusterProtocol.FollowRun)await inbox.ReceiveAsync(TimeSpan.FromSeconds(10));
        Assert.NotSame(follow, copy);
        Assert.Equal(follow, copy);

        echo.Tell(new Unwritable(() => 1), inbox.Receiver);
        await inbox.ReceiveAsync(TimeSpan.FromSeconds(10));
        Assert.Contains(VerifyingMailbox.FailuresOf(system), f => f.StartsWith(typeof(Unwritable).FullName!, StringComparison.Ordinal));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await cluster.DisposeAsync());
        Assert.Contains(nameof(Unwritable), error.Message);
    }

    private sealed class Echo : ReceiveActor
    {
        public Echo() => ReceiveAny(message => Sender.Tell(message));
    }
}
