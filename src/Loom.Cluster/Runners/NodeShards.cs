using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Loom.Cluster.Protocol;

namespace Loom.Cluster.Runners;

/// <summary>
/// Runner shards are nodes: the dispatcher, which knows every node's labels and free slots, picks the node and names
/// it as the shard id (its address and incarnation uid); <see cref="NodeShardAllocation"/> puts that shard on that
/// node's region and never moves it. So placement follows capacity and labels, and neither a joining node
/// (rebalance) nor idle time (passivation is off in the node's settings) ever stops a running job.
/// </summary>
public static class NodeShards
{
    public const string TypeName = "loom-runner";

    /// <summary>A member incarnation's shard: <c>akka.tcp://loom@host:port#uid</c>. A node restarted on the same port is another shard.</summary>
    public static string ShardIdOf(UniqueAddress member) => $"{member.Address}#{member.Uid}";

    public static Address AddressOf(string shardId)
    {
        var hash = shardId.LastIndexOf('#');
        return Address.Parse(hash < 0 ? shardId : shardId[..hash]);
    }
}

/// <summary>Allocates a node's shard to the region on that node; never rebalances (moving a shard would stop its running jobs).</summary>
public sealed class NodeShardAllocation(ActorSystem system) : IShardAllocationStrategy
{
    private readonly Address self = Akka.Cluster.Cluster.Get(system).SelfAddress;

    public Task<IActorRef> AllocateShard(IActorRef requester, string shardId, IImmutableDictionary<IActorRef, IImmutableList<string>> currentShardAllocations)
    {
        var wanted = NodeShards.AddressOf(shardId);
        foreach (var region in currentShardAllocations.Keys)
            if (AddressOfRegion(region) == wanted)
                return Task.FromResult(region);
        // The node is gone, or its region has not registered yet: any region will do for now. Its entity sees it is not
        // the node asked for and refuses the job (the dispatcher places it again), and Rebalance moves the shard once
        // its node's region is there.
        return Task.FromResult(requester);
    }

    /// <summary>
    /// Only a misplaced shard moves: one allocated before its node's region had registered (its entities refuse every
    /// job, so it holds nothing running). Every other shard stays where it is for its node's life.
    /// </summary>
    public Task<IImmutableSet<string>> Rebalance(IImmutableDictionary<IActorRef, IImmutableList<string>> currentShardAllocations, IImmutableSet<string> rebalanceInProgress)
    {
        var regions = currentShardAllocations.Keys.Select(AddressOfRegion).ToHashSet();
        var misplaced = ImmutableHashSet.CreateBuilder<string>();
        foreach (var (region, shards) in currentShardAllocations)
            foreach (var shard in shards)
                if (!rebalanceInProgress.Contains(shard) && NodeShards.AddressOf(shard) is var wanted && wanted != AddressOfRegion(region) && regions.Contains(wanted))
                    misplaced.Add(shard);
        return Task.FromResult<IImmutableSet<string>>(misplaced.ToImmutable());
    }

    private Address AddressOfRegion(IActorRef region) => region.Path.Address.HasLocalScope ? self : region.Path.Address;
}

/// <summary>Routes <see cref="IRunnerEnvelope"/>s: the shard id and entity id travel in the message.</summary>
public sealed class RunnerMessageExtractor : IMessageExtractor
{
    public string? EntityId(object message) => (message as IRunnerEnvelope)?.EntityId;

    public object? EntityMessage(object message) => message;

    public string? ShardId(object message) => (message as IRunnerEnvelope)?.ShardId;

    public string ShardId(string entityId, object? messageHint = null) =>
        (messageHint as IRunnerEnvelope)?.ShardId ?? throw new ArgumentException($"runner entity {entityId} needs its node in the message");
}
