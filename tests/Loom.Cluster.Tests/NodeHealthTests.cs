using Akka.Cluster;
using Loom.Cluster.Node;

namespace Loom.Cluster.Tests;

/// <summary>When a node is alive and when it is ready (<see cref="NodeHealth"/>), as plain functions of what the node reads.</summary>
public sealed class NodeHealthTests
{
    private static NodeGate.Status Gate(int taken = 1, int capacity = 4, bool draining = false) =>
        new(capacity, Enumerable.Range(0, taken).Select(i => $"run/job/{i}").ToList(), draining, RecordedProcesses: taken);

    private static NodeHealthSnapshot Node(MemberStatus status = MemberStatus.Up, NodeGate.Status? gate = null, string? stopping = null, bool terminated = false, bool noAnswer = false) =>
        new(terminated, stopping, status, noAnswer ? null : gate ?? Gate());

    [Fact]
    public void An_Up_member_that_is_not_stopping_is_ready_also_when_it_is_full()
    {
        Assert.Equal(new NodeHealthVerdict(true, "an Up member taking jobs (1 of 4 slots taken)"), NodeHealth.Ready(Node()));
        Assert.Equal(new NodeHealthVerdict(true, "an Up member taking jobs (4 of 4 slots taken)"), NodeHealth.Ready(Node(gate: Gate(taken: 4))));
        Assert.Equal(new NodeHealthVerdict(true, "running"), NodeHealth.Alive(Node()));
    }

    [Theory]
    [InlineData(MemberStatus.Joining, "not an Up member yet (Joining)")]
    [InlineData(MemberStatus.WeaklyUp, "WeaklyUp: not Up until the cluster's members are all reachable again")]
    [InlineData(MemberStatus.Leaving, "member status Leaving: the node is leaving the cluster or has left it")]
    [InlineData(MemberStatus.Exiting, "member status Exiting: the node is leaving the cluster or has left it")]
    [InlineData(MemberStatus.Down, "member status Down: the node is leaving the cluster or has left it")]
    [InlineData(MemberStatus.Removed, "not an Up member yet (not joined)")]
    public void A_node_that_is_not_an_Up_member_is_not_ready_but_alive(MemberStatus status, string reason)
    {
        Assert.Equal(new NodeHealthVerdict(false, reason), NodeHealth.Ready(Node(status)));
        Assert.True(NodeHealth.Alive(Node(status)).Healthy);
    }

    [Fact]
    public void A_stopping_or_draining_node_is_not_ready_but_alive_until_its_actor_system_ends()
    {
        // Removed after it was a member: coordinated shutdown runs (Akka.NET runs it when a node is removed).
        Assert.Equal(new NodeHealthVerdict(false, "the node is stopping (ClusterLeavingReason)"), NodeHealth.Ready(Node(MemberStatus.Removed, stopping: "ClusterLeavingReason")));
        var stopping = Node(stopping: "ClrExitReason", gate: Gate(draining: true));
        Assert.Equal(new NodeHealthVerdict(false, "the node is stopping (ClrExitReason)"), NodeHealth.Ready(stopping));
        Assert.Equal(new NodeHealthVerdict(true, "running, stopping (ClrExitReason)"), NodeHealth.Alive(stopping));
        Assert.Equal(new NodeHealthVerdict(false, "the node is draining: it takes no more jobs"), NodeHealth.Ready(Node(gate: Gate(draining: true))));

        var ended = Node(MemberStatus.Removed, stopping: "ClrExitReason", terminated: true, noAnswer: true);
        Assert.Equal(new NodeHealthVerdict(false, "the actor system has terminated"), NodeHealth.Alive(ended));
        Assert.Equal(new NodeHealthVerdict(false, "the actor system has terminated"), NodeHealth.Ready(ended));
    }

    [Fact]
    public void A_node_whose_actors_do_not_answer_is_neither_alive_nor_ready()
    {
        var wedged = Node(noAnswer: true);
        Assert.Equal(new NodeHealthVerdict(false, "the node's actors did not answer within 2 s"), NodeHealth.Alive(wedged));
        Assert.Equal(NodeHealth.Alive(wedged), NodeHealth.Ready(wedged));
    }
}
