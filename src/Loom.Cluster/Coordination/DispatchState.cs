using Akka.Actor;
using Loom.Actors.Protocol;
using Loom.Cluster.Hosting;

namespace Loom.Cluster.Coordination;

/// <summary>One Loom node as the dispatcher sees it: what it serves, how many jobs it may run, how many it runs.</summary>
public sealed class NodeSlots(string shardId, string address, IReadOnlySet<string> labels, int capacity)
{
    public string ShardId { get; } = shardId;
    public string Address { get; } = address;
    public IReadOnlySet<string> Labels { get; } = labels;
    public int Capacity { get; } = capacity;
    public int Used { get; internal set; }

    /// <summary>False once the node leaves or drains: it gets no more jobs.</summary>
    public bool Accepting { get; internal set; } = true;

    public override string ToString() => $"{Address} [{string.Join(',', Labels.Order(StringComparer.Ordinal))}]";
}

/// <summary>A job attempt waiting for a node, or placed on one.</summary>
/// <param name="Tries">How many nodes refused it before: each try is a runner entity of its own.</param>
/// <param name="NotBefore">A refused attempt waits until then before it is placed again.</param>
public sealed record Placement(RunnerProtocol.Dispatch Dispatch, int Tries = 0, DateTimeOffset NotBefore = default)
{
    /// <summary>When this try was sent to its node.</summary>
    public DateTimeOffset PlacedAt { get; init; }

    public string RunId => Dispatch.RunId;
    public string UnitId => Dispatch.Job.Id;
    public int Attempt => Dispatch.Job.Attempt;
    public (string, string, int) Key => (RunId, UnitId, Attempt);

    /// <summary>
    /// The runner entity of this try. A new try never reuses a refused one's id: a message to an entity that is stopping
    /// is dropped by its shard, and the job would wait forever.
    /// </summary>
    public string EntityId => Runners.RunnerEntity.EntityIdOf(RunId, UnitId, Attempt) + (Tries == 0 ? "" : "~" + Tries.ToString(System.Globalization.CultureInfo.InvariantCulture));
}

/// <summary>
/// The dispatcher's state, a plain object: the nodes, the jobs waiting in arrival order, and where each placed job runs.
/// A job goes to the node that serves all its labels and is least full (by share of capacity); a job that waits never
/// blocks one behind it that another node could take. Capacity is counted here, for every run, and held again by
/// each node's gate.
/// </summary>
public sealed class DispatchState
{
    private readonly Dictionary<string, NodeSlots> nodes = new(StringComparer.Ordinal);
    private readonly List<Placement> waiting = [];
    private readonly Dictionary<(string, string, int), (Placement Placement, NodeSlots Node)> placed = [];
    private readonly Dictionary<(string, string, int), int> unknownAnswers = [];

    public IReadOnlyCollection<NodeSlots> Nodes => nodes.Values;

    public IReadOnlyList<Placement> Waiting => waiting;

    public int PlacedCount => placed.Count;

    /// <summary>Every placed attempt with its node, in no particular order.</summary>
    public IEnumerable<(Placement Placement, NodeSlots Node)> Placed => placed.Values;

    public void NodeUp(NodeSlots node) => nodes[node.ShardId] = node;

    /// <summary>The node leaves or drains: what runs there goes on, nothing new goes there.</summary>
    public void NodeLeaving(string shardId)
    {
        if (nodes.TryGetValue(shardId, out var node))
            node.Accepting = false;
    }

    /// <summary>The node is gone: returns the attempts that were placed there (their runners died with it).</summary>
    public List<Placement> NodeRemoved(string shardId)
    {
        nodes.Remove(shardId);
        var lost = new List<Placement>();
        foreach (var (key, entry) in placed.ToList())
            if (entry.Node.ShardId == shardId)
            {
                placed.Remove(key);
                unknownAnswers.Remove(key);
                lost.Add(entry.Placement);
            }
        return lost;
    }

    /// <summary>Whether any node, busy or not, serves these labels (a job no node serves would wait forever).</summary>
    public bool AnyNodeServes(IReadOnlyList<string> labels) => nodes.Values.Any(n => n.Accepting && NodeRoles.Serves(n.Labels, labels));

    public void Enqueue(Placement placement) => waiting.Add(placement);

    /// <summary>Back to the head of the queue, as a new try not placed before <paramref name="notBefore"/>: its node refused it.</summary>
    public void Requeue(Placement placement, DateTimeOffset notBefore) =>
        waiting.Insert(0, placement with { Tries = placement.Tries + 1, NotBefore = notBefore });

    /// <summary>Takes a placed attempt back (refused by its node); null when it is not placed.</summary>
    public Placement? Unplace(string runId, string unitId, int attempt)
    {
        if (!placed.Remove((runId, unitId, attempt), out var entry))
            return null;
        unknownAnswers.Remove((runId, unitId, attempt));
        entry.Node.Used--;
        return entry.Placement;
    }

    /// <summary>The attempt is over: its slot is free. False when it was not placed (already released, or lost with its node).</summary>
    public bool Release(string runId, string unitId, int attempt) => Unplace(runId, unitId, attempt) is not null;

    /// <summary>A waiting attempt taken out of the queue (withdrawn before it was placed); null when it is not waiting.</summary>
    public Placement? Withdraw(string runId, string unitId, int attempt)
    {
        var index = waiting.FindIndex(p => p.RunId == runId && p.UnitId == unitId && p.Attempt == attempt);
        if (index < 0)
            return null;
        var placement = waiting[index];
        waiting.RemoveAt(index);
        return placement;
    }

    public NodeSlots? NodeOf(string runId, string unitId, int attempt) =>
        placed.TryGetValue((runId, unitId, attempt), out var entry) ? entry.Node : null;

    /// <summary>Where an attempt is placed, and as which try; null when it is not placed.</summary>
    public (Placement Placement, NodeSlots Node)? PlacedAs(string runId, string unitId, int attempt) =>
        placed.TryGetValue((runId, unitId, attempt), out var entry) ? entry : null;

    /// <summary>Placed tries whose runners to ask after: those sent to their node at least <paramref name="settled"/> before <paramref name="now"/>.</summary>
    public List<(Placement Placement, NodeSlots Node)> ToCheck(DateTimeOffset now, TimeSpan settled) =>
        placed.Values.Where(entry => now - entry.Placement.PlacedAt >= settled).ToList();

    /// <summary>
    /// The runner entity <paramref name="entityId"/> knows no such try: its start, or the try's last report, was lost on the
    /// way (remoting delivers at most once). The first such answer may have crossed the try's own report (its release
    /// then comes next), so the try is taken back, and returned to be reported lost, only at the second in a row.
    /// </summary>
    public Placement? RunnerUnknown(string runId, string unitId, int attempt, string entityId)
    {
        var key = (runId, unitId, attempt);
        if (!placed.TryGetValue(key, out var entry) || entry.Placement.EntityId != entityId)
            return null;
        var answers = unknownAnswers.GetValueOrDefault(key) + 1;
        if (answers < 2)
        {
            unknownAnswers[key] = answers;
            return null;
        }
        return Unplace(runId, unitId, attempt);
    }

    /// <summary>Every attempt of a run, waiting or placed, dropped (its scheduler is gone); returns how many were placed.</summary>
    public int DropRun(IActorRef scheduler)
    {
        waiting.RemoveAll(p => p.Dispatch.Scheduler.Equals(scheduler));
        var dropped = 0;
        foreach (var (key, entry) in placed.ToList())
            if (entry.Placement.Dispatch.Scheduler.Equals(scheduler))
            {
                placed.Remove(key);
                unknownAnswers.Remove(key);
                entry.Node.Used--;
                dropped++;
            }
        return dropped;
    }

    /// <summary>Waiting attempts that no node serves any more (their labels left with the last node that had them).</summary>
    public List<Placement> TakeUnservable()
    {
        var unservable = waiting.Where(p => !AnyNodeServes(p.Dispatch.Job.RunsOn)).ToList();
        waiting.RemoveAll(unservable.Contains);
        return unservable;
    }

    /// <summary>The earliest time after <paramref name="now"/> at which a refused try may be placed again; null when none waits for one.</summary>
    public DateTimeOffset? NextRetryAt(DateTimeOffset now)
    {
        DateTimeOffset? next = null;
        foreach (var placement in waiting)
            if (placement.NotBefore > now && (next is null || placement.NotBefore < next))
                next = placement.NotBefore;
        return next;
    }

    /// <summary>Places what can be placed at <paramref name="now"/>, in queue order; each result is to be sent to its node.</summary>
    public List<(Placement Placement, NodeSlots Node)> PlaceWaiting(DateTimeOffset now)
    {
        var result = new List<(Placement, NodeSlots)>();
        for (var i = 0; i < waiting.Count;)
        {
            var placement = waiting[i];
            if (placement.NotBefore > now || BestNodeFor(placement.Dispatch.Job.RunsOn) is not { } node)
            {
                i++;
                continue;
            }
            waiting.RemoveAt(i);
            node.Used++;
            placed[placement.Key] = (placement with { PlacedAt = now }, node);
            result.Add((placement, node));
        }
        return result;
    }

    private NodeSlots? BestNodeFor(IReadOnlyList<string> labels)
    {
        NodeSlots? best = null;
        foreach (var node in nodes.Values)
        {
            if (!node.Accepting || node.Used >= node.Capacity || !NodeRoles.Serves(node.Labels, labels))
                continue;
            // Least full by share; on a tie the node with more free slots, then a stable order.
            if (best is null || Compare(node, best) < 0)
                best = node;
        }
        return best;
    }

    private static int Compare(NodeSlots a, NodeSlots b)
    {
        var byShare = ((long)a.Used * b.Capacity).CompareTo((long)b.Used * a.Capacity);
        if (byShare != 0)
            return byShare;
        var byFree = (b.Capacity - b.Used).CompareTo(a.Capacity - a.Used);
        return byFree != 0 ? byFree : string.CompareOrdinal(a.ShardId, b.ShardId);
    }
}
