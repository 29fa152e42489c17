using Loom.Actors.Protocol;
using Loom.Cluster.Coordination;
using Loom.Core.Parsing;

namespace Loom.Cluster.Tests.Coordination;

/// <summary>The coordinator's workflow concurrency groups, as a plain object: which run starts, which waits, which is cancelled.</summary>
public sealed class ConcurrencyGroupsTests
{
    private static GroupAction.Release Release(string runId) => new(runId);

    private static GroupAction.Wait Wait(string runId, string holder, bool cancelling = false, string group = "deploy") => new(runId, group, holder, cancelling);

    private static GroupAction.Cancel Cancel(string runId, string by) => new(runId, $"cancelled by run {by} of concurrency group 'deploy' (cancel-in-progress)");

    [Fact]
    public void Runs_of_one_group_go_one_at_a_time_in_the_order_they_came_while_other_groups_go_on()
    {
        var groups = new ConcurrencyGroups(recovering: false);

        Assert.Equal([Release("r1")], groups.Hold("r1", "deploy", false));
        Assert.Equal([Wait("r2", "r1")], groups.Hold("r2", "deploy", false));
        Assert.Equal([Wait("r3", "r1")], groups.Hold("r3", "deploy", false));
        Assert.Equal([Release("other")], groups.Hold("other", "lint", false));

        // The next one starts, and the one still waiting hears of its new holder, as loom run's group lock says it.
        Assert.Equal([Release("r2"), Wait("r3", "r2")], groups.Ended("r1"));
        Assert.Equal(["r2"], groups.Of("deploy").Running);
        Assert.Equal(["r3"], groups.Of("deploy").Waiting);
        Assert.Equal([Release("r3")], groups.Ended("r2"));
        Assert.Empty(groups.Ended("r3"));
        Assert.Empty(groups.Of("deploy").Running);

        // A group whose runs all ended is free again.
        Assert.Equal([Release("r4")], groups.Hold("r4", "deploy", false));
    }

    [Fact]
    public void A_run_that_ends_while_it_waits_leaves_the_queue()
    {
        var groups = new ConcurrencyGroups(recovering: false);
        groups.Hold("r1", "deploy", false);
        groups.Hold("r2", "deploy", false);
        groups.Hold("r3", "deploy", false);

        // Cancelled before it started (the guardian refuses it), or its submitter went away.
        Assert.Empty(groups.Ended("r2"));

        Assert.Equal([Release("r3")], groups.Ended("r1"));
        Assert.Empty(groups.Ended("unknown"));
    }

    [Fact]
    public void Cancel_in_progress_cancels_the_run_going_on_and_the_older_waiting_ones_once_each()
    {
        var groups = new ConcurrencyGroups(recovering: false);
        groups.Hold("r1", "deploy", false);
        groups.Hold("r2", "deploy", false);

        Assert.Equal([Cancel("r2", "r3"), Cancel("r1", "r3"), Wait("r3", "r1", cancelling: true)], groups.Hold("r3", "deploy", true));
        // r1 is being cancelled already: a newer run cancels only r3, which waits.
        Assert.Equal([Cancel("r3", "r4"), Wait("r4", "r1", cancelling: true)], groups.Hold("r4", "deploy", true));
        Assert.Equal(["r4"], groups.Of("deploy").Waiting);

        // The cancelled ones end: the run going on holds its group until its always() steps are done.
        Assert.Empty(groups.Ended("r2"));
        Assert.Empty(groups.Ended("r3"));
        Assert.Equal([Release("r4")], groups.Ended("r1"));
    }

    [Fact]
    public void Until_the_recovered_runs_are_known_new_runs_wait_then_are_decided_in_the_order_they_came()
    {
        var groups = new ConcurrencyGroups(recovering: true);
        Assert.Empty(groups.Hold("new1", "deploy", false));
        Assert.Empty(groups.Hold("new2", "lint", false));
        Assert.Empty(groups.Hold("gone", "lint", false));
        Assert.Empty(groups.Ended("gone"));

        // A run that went on in its group before the hand-over goes on holding it.
        groups.Recovered("old", "deploy");
        Assert.Equal([Wait("new1", "old"), Release("new2")], groups.RecoveryDone());

        Assert.Equal([Release("new1")], groups.Ended("old"));
        Assert.Equal([Cancel("new1", "new3"), Wait("new3", "new1", cancelling: true)], groups.Hold("new3", "deploy", true));
    }

    [Fact]
    public void A_journaled_runs_group_is_evaluated_as_the_guardian_evaluated_it()
    {
        var loom = new Dictionary<string, string> { ["ref"] = "refs/heads/main" };
        var vars = new Dictionary<string, string> { ["target"] = "prod" };
        var contexts = RunContexts.Empty with { Loom = loom, Vars = vars };
        RunEvents.RunDefined Defined(string text) =>
            new("/home/me/project/.loom.yml", ".loom.yml", "", text, [], null, false, contexts, DateTimeOffset.UnixEpoch);
        const string Jobs = "jobs: { a: { steps: [ { run: 'true' } ] } }\n";

        Assert.Equal("deploy-refs/heads/main-prod-project",
            ConcurrencyGroups.GroupOf("r1", Defined("concurrency: deploy-${{ loom.ref }}-${{ vars.target }}-${{ loom.workflow }}\n" + Jobs), ParseLimits.Default));
        Assert.Equal("deploy", ConcurrencyGroups.GroupOf("r1", Defined("concurrency: { group: deploy, cancel-in-progress: true }\n" + Jobs), ParseLimits.Default));
        Assert.Null(ConcurrencyGroups.GroupOf("r1", Defined(Jobs), ParseLimits.Default));
        Assert.Null(ConcurrencyGroups.GroupOf("r1", Defined("concurrency: ${{ vars.none }}\n" + Jobs), ParseLimits.Default));
    }
}
