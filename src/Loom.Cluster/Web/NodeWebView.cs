using Akka.Actor;
using Akka.Hosting;
using Loom.Actors.Persistence;
using Loom.Cluster.Coordination;
using Loom.Cluster.Hosting;
using Loom.Cluster.Protocol;
using Loom.Cluster.Storage;
using Loom.Core.Model;
using Loom.Web;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Loom.Cluster.Web;

/// <summary>
/// The web view of a <c>loom serve</c> node (<c>--ui-port</c>): the cluster's runs from its journal (PostgreSQL, or a lone
/// node's SQLite), their step logs from the central store (or the lone node's files), the members of the cluster, and
/// the cancel button (through the run coordinator). Runs are followed by polling the journal: the coordinator may live
/// on another node. Only <see cref="Add"/> reaches Loom.Web, and only a node with a UI port calls it.
/// </summary>
public static class NodeWebView
{
    /// <summary>Starts the view with the node (after its actor system) and stops it with the node.</summary>
    /// <param name="security">With a cluster secret the view may listen on any address, and then asks for the secret; with
    /// a TLS certificate it serves HTTPS.</param>
    /// <exception cref="NodeSettingsException">The UI's address is not a loopback one and the node has no secret, or its port is out of range.</exception>
    public static void Add(IServiceCollection services, NodeOptions options, NodeSecurity security)
    {
        var view = new WebViewOptions
        {
            Host = options.UiHost ?? WebViewOptions.DefaultHost,
            Port = options.UiPort ?? 0,
            CheckSecret = security.Secret is { } secret ? secret.Accepts : null,
            Certificate = security.Tls?.Certificate,
            OnRefused = message => Serilog.Log.Warning("{Refusal}", message),
        };
        try
        {
            view.Address();
        }
        catch (WebViewException e)
        {
            throw new NodeSettingsException($"--ui-port/--ui-host: {e.Message}");
        }
        services.AddHostedService(provider => new Service(provider, options, view));
    }

    private sealed class Service(IServiceProvider provider, NodeOptions options, WebViewOptions view) : IHostedService
    {
        private LoomWebServer? server;

        public async Task StartAsync(CancellationToken cancellationToken)
        {
            var system = provider.GetRequiredService<ActorSystem>();
            var coordinator = ActorRegistry.For(system).Get<RunCoordinatorKey>();
            var persistence = LoomNode.PersistenceOf(options);
            var journal = new RunJournal(system, persistence.OwnQueryPluginId ?? throw new InvalidOperationException("the node's run store has no read journal"));
            var logs = options.Db is { } db ? new PostgresStepLogStore(Npgsql.NpgsqlDataSource.Create(db)) : null;
            var store = new NodeRunStore(journal, logs, LoomNode.RunsFolder(options));
            var self = Akka.Cluster.Cluster.Get(system).SelfAddress;
            try
            {
                server = await LoomWebServer.StartAsync(view with { Title = $"loom serve {self}" },
                    store, hub: null, new NodeRunControl(journal, coordinator), new NodeClusterView(system, coordinator), cancellationToken);
            }
            catch (WebViewException e)
            {
                throw new NodeSettingsException(e.Message);
            }
            Console.Error.WriteLine($"loom serve: web view at {server.Url}");
        }

        public async Task StopAsync(CancellationToken cancellationToken)
        {
            if (server is not null)
                await server.DisposeAsync();
        }
    }

    /// <summary>A cluster's runs: every unfinished run is going on (the coordinator goes on with each after a hand-over).</summary>
    private sealed class NodeRunStore(RunJournal journal, PostgresStepLogStore? logs, string runsFolder)
        : JournalRunStore(journal, _ => true, runId => Path.Combine(runsFolder, runId, "logs"))
    {
        public override async Task<LogChunk> ReadLogAsync(string runId, string? logsFolder, string unitId, int attempt, long position, bool final, CancellationToken cancellationToken)
        {
            if (logs is null)
                return await base.ReadLogAsync(runId, logsFolder, unitId, attempt, position, final, cancellationToken);
            var entries = await logs.ReadAfterAsync(runId, unitId, attempt, position, cancellationToken: cancellationToken);
            return new LogChunk(entries.Select(e => e.Line).ToList(), entries.Count > 0 ? entries[^1].Seq : position);
        }
    }

    /// <summary><c>loom cancel</c>'s rules on a cluster: the run must exist and not be finished; the coordinator cancels it.</summary>
    private sealed class NodeRunControl(RunJournal journal, IActorRef coordinator) : IRunControl
    {
        public string? RetryUnavailable => "loom retry runs again a run of a workspace; to run a cluster's workflow again, submit it with loom run --cluster";

        public async Task<ControlResult> CancelAsync(string runId, CancellationToken cancellationToken)
        {
            var run = (await journal.RunsAsync(cancellationToken)).FirstOrDefault(r => r.RunId == runId);
            if (run is null)
                return ControlResult.Refused($"no run '{runId}' on this cluster");
            if (run.Result is { } result)
                return ControlResult.Refused($"run {runId} already finished ({result.ToWire()})");
            coordinator.Tell(new ClusterProtocol.CancelRun(runId, "cancelled from the web view"));
            return new ControlResult($"cancelling run {runId}");
        }

        public Task<ControlResult> RetryAsync(string runId, CancellationToken cancellationToken) =>
            Task.FromResult(ControlResult.Refused(RetryUnavailable!));
    }

    /// <summary>The members as Akka.Cluster sees them; how many jobs each runs, from the coordinator's dispatcher.</summary>
    private sealed class NodeClusterView(ActorSystem system, IActorRef coordinator) : IClusterView
    {
        public async Task<ClusterInfo> ClusterAsync(CancellationToken cancellationToken)
        {
            var cluster = Akka.Cluster.Cluster.Get(system);
            var state = cluster.State;
            Dispatcher.Placements? placements = null;
            try
            {
                placements = await coordinator.Ask<Dispatcher.Placements>(Dispatcher.GetPlacements.Instance, TimeSpan.FromSeconds(2), cancellationToken);
            }
            catch (Exception e) when (e is TimeoutException or AskTimeoutException or TaskCanceledException)
            {
                // No coordinator at the moment (a hand-over): the members without their jobs.
            }
            var members = state.Members.Select(m =>
            {
                var placed = placements?.Nodes.FirstOrDefault(n => n.Address == m.Address.ToString());
                return new ClusterMember(m.Address.ToString(), m.Status.ToString(), NodeRoles.LabelsOf(m.Roles).Order(StringComparer.Ordinal).ToList(),
                    NodeRoles.CapacityOf(m.Roles), placed?.Running, placed?.Accepting, m.Address == cluster.SelfAddress);
            }).ToList();
            return new ClusterInfo(cluster.SelfAddress.ToString(), state.Leader?.ToString(), members, placements?.Waiting);
        }
    }
}
