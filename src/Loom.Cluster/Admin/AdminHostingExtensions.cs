using Akka.Cluster.Tools.Client;
using Akka.Hosting;
using Loom.Actors.Hosting;
using Loom.Actors.Persistence;
using Loom.Cluster.Hosting;
using Loom.Cluster.Storage;
using Npgsql;

namespace Loom.Cluster.Admin;

/// <summary>Marker for <see cref="ActorRegistry"/>: this node's admin actor.</summary>
public sealed class LoomAdminKey;

public static class AdminHostingExtensions
{
    /// <summary>
    /// Adds the admin actor <c>loom ctl</c> talks to (<see cref="AdminProtocol.AdminPath"/>) and registers it with the cluster
    /// client receptionist. Call after <c>WithLoomCluster</c>: it uses the coordinator proxy and the runner shard region.
    /// </summary>
    /// <param name="secret">The cluster secret every request must carry; null: requests are not checked.</param>
    /// <param name="recentLogs">The node's in-memory log buffer for <c>log peek</c>; null: none is kept.</param>
    public static AkkaConfigurationBuilder WithLoomAdmin(this AkkaConfigurationBuilder builder, LoomOptions loom, ClusterSecret? secret, RecentLogs? recentLogs) =>
        builder.WithActors((system, registry) =>
        {
            var persistence = loom.Persistence;
            var resources = new AdminResources(
                secret,
                registry.Get<RunCoordinatorKey>(),
                registry.Get<RunnerRegionKey>(),
                persistence.OwnQueryPluginId is { } query ? new RunJournal(system, query) : null,
                persistence.PostgresConnectionString is { } db ? new PostgresStepLogStore(NpgsqlDataSource.Create(db)) : null,
                recentLogs,
                loom.Limits);
            var admin = system.ActorOf(LoomAdmin.Props(resources), AdminProtocol.AdminName);
            registry.Register<LoomAdminKey>(admin);
            ClusterClientReceptionist.Get(system).RegisterService(admin);
        });
}
