using Akka.Actor;
using Loom.Actors.Protocol;
using Loom.Cluster.Coordination;

namespace Loom.Cluster.Tests.Coordination;

/// <summary>The dispatcher's decisions, as a plain object: where each job goes, and what waits.</summary>
public sealed class DispatchStateTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    private static Placement Job(string id, params string[] runsOn) =>
        new(new RunnerProtocol.Dispatch("r1", "", new JobSpec(id, id, 1, new Dictionary<string, string>(), 5, [], new Dictionary<string, string>(), "{}",
            new Dictionary<string, string>()) { RunsOn = runsOn }, ActorRefs.Nobody));

    private static NodeSlots Node(string name, int capacity, params string[] labels) => new(name, name, labels.ToHashSet(), capacity);

    [Fact]
    public void Jobs_go_to_the_least_full_node_by_share_of_its_capacity()
    {
        var state = new DispatchState();
        state.NodeUp(Node("x", 2, "*"));
        state.NodeUp(Node("y", 4, "*"));
        foreach (var id in new[] { "j1", "j2", "j3", "j4", "j5", "j6", "j7" })
            state.Enqueue(Job(id));

        var placed = state.PlaceWaiting(Now);

        Assert.Equal(6, placed.Count);
        Assert.Equal(2, placed.Count(p => p.Node.ShardId == "x"));
        Assert.Equal(4, placed.Count(p => p.Node.ShardId == "y"));
        Assert.Equal(["y", "x", "y"], placed.Take(3).Select(p => p.Node.ShardId));
        Assert.Equal("j7", Assert.Single(state.Waiting).UnitId);
    }

    [Fact]
    public void A_job_waiting_for_its_labels_never_holds_back_one_another_node_could_run()
    {
        var state = new DispatchState();
        state.NodeUp(Node("a", 2, "linux"));
        state.NodeUp(Node("b", 1, "gpu"));
        state.Enqueue(Job("j1", "linux"));
        state.Enqueue(Job("j2", "linux"));
        state.Enqueue(Job("j3", "linux"));
        state.Enqueue(Job("train", "gpu"));

        var placed = state.PlaceWaiting(Now);

        Assert.Equal(["a", "a", "b"], placed.Select(p => p.Node.ShardId));
        Assert.Equal("train", placed[2].Placement.UnitId);
        Assert.Equal("j3", Assert.Single(state.Waiting).UnitId);
    }

    [Fact]
    public void A_refused_job_waits_for_its_retry_and_is_sent_to_a_new_runner_entity()
    {
        var state = new DispatchState();
        state.NodeUp(Node("a", 1, "*"));
        state.Enqueue(Job("j1"));
        var first = Assert.Single(state.PlaceWaiting(Now)).Placement;

        var refused = state.Unplace("r1", "j1", 1)!;
        state.Requeue(refused, Now.AddSeconds(1));

        Assert.Empty(state.PlaceWaiting(Now.AddMilliseconds(10)));
        Assert.Equal(Now.AddSeconds(1), state.NextRetryAt(Now.AddMilliseconds(10)));
        var again = Assert.Single(state.PlaceWaiting(Now.AddSeconds(1))).Placement;
        Assert.NotEqual(first.EntityId, again.EntityId);
    }

    [Fact]
    public void A_removed_node_gives_back_what_it_ran_and_jobs_only_it_served_are_unservable()
    {
        var state = new DispatchState();
        state.NodeUp(Node("a", 2, "linux"));
        state.NodeUp(Node("b", 1, "gpu"));
        state.Enqueue(Job("j1", "gpu"));
        state.Enqueue(Job("j2", "gpu"));
        state.Enqueue(Job("j3", "linux"));
        state.PlaceWaiting(Now);

        var lost = state.NodeRemoved("b");

        Assert.Equal("j1", Assert.Single(lost).UnitId);
        Assert.False(state.AnyNodeServes(["gpu"]));
        Assert.Equal("j2", Assert.Single(state.TakeUnservable()).UnitId);
        Assert.Empty(state.Waiting);
    }

    [Fact]
    public void A_leaving_node_keeps_its_jobs_but_gets_no_new_ones()
    {
        var state = new DispatchState();
        state.NodeUp(Node("a", 2, "*"));
        state.NodeUp(Node("b", 2, "*"));
        state.NodeLeaving("a");
        state.Enqueue(Job("j1"));
        state.Enqueue(Job("j2"));

        Assert.All(state.PlaceWaiting(Now), p => Assert.Equal("b", p.Node.ShardId));
    }

    [Fact]
    public void A_try_its_node_twice_in_a_row_does_not_know_is_taken_back_to_be_run_again()
    {
        var state = new DispatchState();
        state.NodeUp(Node("a", 2, "*"));
        state.Enqueue(Job("j1"));
        state.Enqueue(Job("j2"));
        state.PlaceWaiting(Now);
        Assert.Empty(state.ToCheck(Now + TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(5)));
        var check = state.ToCheck(Now + TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5));
        Assert.Equal(["j1", "j2"], check.Select(c => c.Placement.UnitId).Order());
        var j1 = check.Single(c => c.Placement.UnitId == "j1").Placement;

        // An answer about another try (an older entity id) counts for nothing.
        Assert.Null(state.RunnerUnknown("r1", "j1", 1, j1.EntityId + "~1"));
        Assert.Null(state.RunnerUnknown("r1", "j1", 1, j1.EntityId));
        var lost = state.RunnerUnknown("r1", "j1", 1, j1.EntityId);
        Assert.Equal("j1", lost?.UnitId);
        Assert.Equal(1, Assert.Single(state.Nodes).Used);
        Assert.Null(state.RunnerUnknown("r1", "j1", 1, j1.EntityId));

        // The first answer crossed j2's own report: its release clears the count.
        var j2 = check.Single(c => c.Placement.UnitId == "j2").Placement;
        Assert.Null(state.RunnerUnknown("r1", "j2", 1, j2.EntityId));
        Assert.True(state.Release("r1", "j2", 1));
        Assert.Null(state.RunnerUnknown("r1", "j2", 1, j2.EntityId));
    }
}
