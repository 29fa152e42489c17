using Loom.Actors.Protocol;
using Loom.Actors.Scheduling;
using Loom.Core.Expressions;
using Loom.Core.Parsing;

namespace Loom.Cluster.Coordination;

/// <summary>What the coordinator does about a run of a workflow <c>concurrency</c> group.</summary>
public abstract record GroupAction(string RunId)
{
    /// <summary>Start the held run: its group is free (<see cref="LoomProtocol.ReleaseRun"/>).</summary>
    public sealed record Release(string RunId) : GroupAction(RunId);

    /// <summary>Tell the held run's submitter what it waits for (<see cref="LoomProtocol.RunWaiting"/>).</summary>
    public sealed record Wait(string RunId, string Group, string Holder, bool Cancelling) : GroupAction(RunId);

    /// <summary>Cancel the run: a newer run of its group has <c>cancel-in-progress</c>.</summary>
    public sealed record Cancel(string RunId, string Reason) : GroupAction(RunId);
}

/// <summary>
/// The workflow <c>concurrency</c> groups of every run on the cluster, a plain object of the run coordinator: in each group
/// the run going on and the runs waiting, in the order they came. A run of a busy group waits; with
/// <c>cancel-in-progress</c> it cancels the older runs of the group instead (the one going on, and those waiting: they would
/// only run before it), and starts once the one going on has ended.
/// </summary>
/// <remarks>
/// Only released runs are journaled (a held run's scheduler does not exist yet). After a hand-over the new coordinator
/// rebuilds the state from the runs it recovers (<see cref="Recovered"/>, with <see cref="GroupOf"/> of each journaled
/// definition) and holds every new run until then (<see cref="RecoveryDone"/>); a run that was waiting is submitted again
/// by its follower when the new coordinator does not know it, and waits again.
/// </remarks>
public sealed class ConcurrencyGroups(bool recovering)
{
    private readonly Dictionary<string, Group> groups = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> groupOf = new(StringComparer.Ordinal);
    // Runs held before the recovered runs are known: they are decided once they are, in the order they came.
    private readonly List<(string RunId, string Group, bool CancelInProgress)> early = [];
    private bool recovering = recovering;

    /// <summary>The runs going on in <paramref name="group"/> (one, but for runs recovered together) and those waiting, oldest first.</summary>
    public (IReadOnlyList<string> Running, IReadOnlyList<string> Waiting) Of(string group) =>
        groups.TryGetValue(group, out var g) ? (g.Running.ToList(), g.Waiting.ToList()) : ([], []);

    /// <summary>A run's group, evaluated by the guardian (<see cref="LoomProtocol.RunHeld"/>): it starts, or waits.</summary>
    public IReadOnlyList<GroupAction> Hold(string runId, string group, bool cancelInProgress)
    {
        if (recovering)
        {
            early.Add((runId, group, cancelInProgress));
            return [];
        }
        var actions = new List<GroupAction>();
        Decide(runId, group, cancelInProgress, actions);
        return actions;
    }

    /// <summary>A run the coordinator recovered after a hand-over: it went on in its group before, and goes on.</summary>
    public void Recovered(string runId, string group)
    {
        GroupNamed(group).Running.Add(runId);
        groupOf[runId] = group;
    }

    /// <summary>Every recovered run is known: the runs held meanwhile are decided.</summary>
    public IReadOnlyList<GroupAction> RecoveryDone()
    {
        recovering = false;
        var actions = new List<GroupAction>();
        foreach (var (runId, group, cancel) in early)
            Decide(runId, group, cancel, actions);
        early.Clear();
        return actions;
    }

    /// <summary>A run ended (finished, refused, or cancelled while it waited): the next run waiting for its group starts.</summary>
    public IReadOnlyList<GroupAction> Ended(string runId)
    {
        early.RemoveAll(e => e.RunId == runId);
        if (!groupOf.Remove(runId, out var name))
            return [];
        var group = groups[name];
        group.Waiting.Remove(runId);
        group.Cancelled.Remove(runId);
        if (!group.Running.Remove(runId) || group.Running.Count > 0)
            return [];
        if (group.Waiting.Count == 0)
        {
            groups.Remove(name);
            return [];
        }
        var next = group.Waiting[0];
        group.Waiting.RemoveAt(0);
        group.Running.Add(next);
        var actions = new List<GroupAction> { new GroupAction.Release(next) };
        // As loom run's group lock does, each waiting run hears of its new holder.
        foreach (var waiting in group.Waiting)
            actions.Add(new GroupAction.Wait(waiting, name, next, false));
        return actions;
    }

    private void Decide(string runId, string name, bool cancelInProgress, List<GroupAction> actions)
    {
        var group = GroupNamed(name);
        groupOf[runId] = name;
        if (group.Running.Count == 0)
        {
            group.Running.Add(runId);
            actions.Add(new GroupAction.Release(runId));
            return;
        }
        if (cancelInProgress)
        {
            var reason = $"cancelled by run {runId} of concurrency group '{name}' (cancel-in-progress)";
            foreach (var older in group.Waiting)
            {
                groupOf.Remove(older);
                actions.Add(new GroupAction.Cancel(older, reason));
            }
            group.Waiting.Clear();
            foreach (var running in group.Running.Where(group.Cancelled.Add))
                actions.Add(new GroupAction.Cancel(running, reason));
        }
        group.Waiting.Add(runId);
        actions.Add(new GroupAction.Wait(runId, name, group.Running[0], cancelInProgress));
    }

    private Group GroupNamed(string name)
    {
        if (!groups.TryGetValue(name, out var group))
            groups[name] = group = new Group();
        return group;
    }

    /// <summary>
    /// The workflow group of a journaled run, evaluated from its definition as the guardian evaluated it when the run was
    /// submitted (the same text, path and contexts); null when it has none or it cannot be evaluated.
    /// </summary>
    public static string? GroupOf(string runId, RunEvents.RunDefined defined, ParseLimits limits)
    {
        var loaded = WorkflowLoader.Load(defined.DisplayPath, defined.WorkflowText, limits, new LoadOptions(defined.SkipUses), defined.WorkflowPath);
        if (loaded.Workflow is not { Concurrency: not null } workflow)
            return null;
        try
        {
            var plan = RunPlan.Create(runId, workflow, defined.Jobs, maxParallel: 1, limits.MaxJobs, defined.Carried, readCache: false);
            return new JobExpressions(plan, defined.Contexts).WorkflowConcurrency()?.Group;
        }
        catch (Exception e) when (e is ArgumentException or ExpressionException)
        {
            // The guardian refuses such a run too: it holds no group.
            return null;
        }
    }

    private sealed class Group
    {
        public List<string> Running { get; } = [];
        public List<string> Waiting { get; } = [];
        // Running runs already told to cancel: a third run of the group does not cancel them again.
        public HashSet<string> Cancelled { get; } = new(StringComparer.Ordinal);
    }
}
