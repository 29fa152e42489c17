using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Cluster.Tools.Client;
using Akka.Cluster.Tools.Singleton;
using Akka.Hosting;
using FluentValidation;
using Loom.Actors.Client;
using Loom.Actors.Hosting;
using Loom.Actors.Persistence;
using Loom.Actors.Running;
using Loom.Actors.Serialization;
using Loom.Cluster.Coordination;
using Loom.Cluster.Runners;
using Loom.Cluster.Serialization;
using Loom.Cluster.Storage;
using Loom.Core.Workspaces;
using Npgsql;

namespace Loom.Cluster.Hosting;

/// <summary>Marker for <see cref="ActorRegistry"/>: this node's runner shard region.</summary>
public sealed class RunnerRegionKey;

/// <summary>Marker for <see cref="ActorRegistry"/>: the proxy to the run coordinator singleton (what submitters talk to).</summary>
public sealed class RunCoordinatorKey;

public static class LoomClusterHostingExtensions
{
    /// <summary>The singleton's manager actor; the one coordinator runs under it on the oldest node.</summary>
    public const string CoordinatorName = "loom-coordinator";

    /// <summary>
    /// What submitters reach on every node through the cluster client receptionist (path <c>/user/loom-runs</c>): a
    /// <see cref="SecretCheck"/> in front of the node's proxy to the coordinator singleton (<see cref="SingletonProxyName"/>).
    /// </summary>
    public const string CoordinatorProxyName = "loom-runs";

    public const string CoordinatorProxyPath = "/user/" + CoordinatorProxyName;

    /// <summary>The node's proxy to the coordinator singleton (<see cref="RunCoordinatorKey"/>), reached by clients only through the secret check.</summary>
    public const string SingletonProxyName = "loom-coordinator-proxy";

    /// <summary>
    /// Adds Loom's cluster actors to a clustered actor system (clustering itself is the host's: <c>loom serve</c>, or a test):
    /// the runner shard region on every node with role <see cref="NodeRoles.Node"/>, the run coordinator singleton with
    /// its proxy, and the proxy's registration with the cluster client receptionist behind a <see cref="SecretCheck"/>.
    /// </summary>
    /// <param name="gate">This node's <c>NodeGate</c>, when one runs (found in the registry at start).</param>
    /// <param name="secret">The cluster's secret, which every client request must carry; null: requests are not checked.</param>
    public static AkkaConfigurationBuilder WithLoomCluster(this AkkaConfigurationBuilder builder, NodeOptions node, LoomOptions loom,
        Func<IActorRegistry, IActorRef?>? gate = null, ClusterSecret? secret = null)
    {
        new LoomOptionsValidator().ValidateAndThrow(loom);
        // Submitted files live in the run store's database; a node without one keeps none.
        var blobStore = loom.Persistence.PostgresConnectionString is { } connectionString
            ? new PostgresBlobStore(NpgsqlDataSource.Create(connectionString))
            : null;
        IBlobSource? blobs = blobStore is null ? null : new NodeBlobCache(Path.Combine(node.Workspace, "blobs"), blobStore);
        var receiver = blobStore is null ? null : BlobReceiver.Props(blobStore, Path.Combine(node.Workspace, "uploads"));
        return builder
            .WithLoomSerialization()
            .WithLoomClusterSerialization()
            .WithLoomPersistence(loom.Persistence)
            .AddHocon($$"""
                akka.cluster.sharding {
                  # Runners are short-lived and the coordinator re-sends what was lost: no remembered entities, no journal for them.
                  state-store-mode = ddata
                  remember-entities = off
                  # A job may print nothing for hours: an idle runner is a working one.
                  passivate-idle-entity-after = off
                  role = "{{NodeRoles.Node}}"
                  # Only shards allocated before their node's region registered ever move (NodeShardAllocation): soon.
                  rebalance-interval = 2s
                }
                akka.cluster.client.receptionist {
                  role = "{{NodeRoles.Node}}"
                  # A run may print nothing for minutes; the submitter's FollowRun every few seconds keeps its tunnel open.
                  response-tunnel-receive-timeout = 60s
                }
                """, HoconAddMode.Prepend)
            .WithActors((system, registry) =>
            {
                var self = Akka.Cluster.Cluster.Get(system).SelfUniqueAddress;
                var nodeGate = gate?.Invoke(registry);
                var runners = new RunnerNode(NodeShards.ShardIdOf(self), new JobFilesPool(), new RunWorkspaces(node.Workspace, blobs), nodeGate,
                    nodeGate is null ? null : LoomNode.ProcessesFolder(node));
                var settings = ClusterShardingSettings.Create(system).WithRole(NodeRoles.Node).WithRememberEntities(false);
                var region = ClusterSharding.Get(system).Start(NodeShards.TypeName, entityId => RunnerEntity.Props(entityId, runners), settings,
                    new RunnerMessageExtractor(), new NodeShardAllocation(system), PoisonPill.Instance);
                registry.Register<RunnerRegionKey>(region);
                // Any node may come to hold the coordinator, whose first act is to read the unfinished runs: the read journal's
                // first query (compiling its queries, opening connections) is paid now, at start, not during a failover.
                if (loom.Persistence.OwnQueryPluginId is { } query)
                    _ = Task.Run(() => new RunJournal(system, query).RunsAsync());
            })
            .WithSingleton<LoomCoordinatorManagerKey>(CoordinatorName, (_, registry, _) => RunCoordinator.Props(loom, registry.Get<RunnerRegionKey>(), receiver),
                new ClusterSingletonOptions { Role = NodeRoles.Node }, createProxyToo: false)
            .WithActors((system, registry) =>
            {
                var proxy = system.ActorOf(ClusterSingletonProxy.Props("/user/" + CoordinatorName,
                    ClusterSingletonProxySettings.Create(system).WithSingletonName(CoordinatorName).WithRole(NodeRoles.Node)), SingletonProxyName);
                registry.Register<RunCoordinatorKey>(proxy);
                ClusterClientReceptionist.Get(system).RegisterService(system.ActorOf(SecretCheck.Props(proxy, secret), CoordinatorProxyName));
            })
            .WithLoomClient((system, registry) => new Client.ClusterLoomClient(system, registry.Get<RunCoordinatorKey>(), loom), clustered: true);
    }

    private sealed class LoomCoordinatorManagerKey;
}
