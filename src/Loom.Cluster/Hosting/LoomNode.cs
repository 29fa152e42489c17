using System.Globalization;
using Akka;
using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Configuration;
using Akka.Discovery.KubernetesApi;
using Akka.Hosting;
using Akka.Hosting.Configuration;
using Akka.Management;
using Akka.Management.Cluster.Bootstrap;
using Akka.Remote.Hosting;
using Loom.Actors.Hosting;
using Loom.Cluster.Admin;
using Loom.Cluster.Node;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serilog;
using Serilog.Events;
using LogLevel = Akka.Event.LogLevel;

namespace Loom.Cluster.Hosting;

/// <summary>
/// One <c>loom serve</c> node: a generic host with an Akka.NET cluster member (Akka.Hosting, Akka.Cluster.Hosting),
/// Loom's local actors (<c>WithLoom</c>), the node's <see cref="NodeGate"/> and the membership log; Serilog to stderr
/// and <c>&lt;workspace&gt;/logs/node.log</c>. A graceful stop drains the gate before the node leaves the cluster. With a
/// <see cref="StepWatchdog"/> command (<c>loom serve</c>), a watchdog process kills the node's step processes if it dies.
/// </summary>
public sealed class LoomNode : IAsyncDisposable
{
    /// <summary>What a drain may take beyond <see cref="NodeOptions.DrainTimeout"/>: holders hand their jobs back after Abandon.</summary>
    private static readonly TimeSpan DrainMargin = NodeGate.DefaultAbandonWait + TimeSpan.FromSeconds(5);

    private readonly IHost host;
    private readonly FileStream workspaceLock;
    private readonly IReadOnlyList<string>? stepWatchdogCommand;
    private StepWatchdog? stepWatchdog;
    private bool stopRequested;

    private readonly RecentLogs recentLogs;

    private LoomNode(IHost host, NodeOptions options, FileStream workspaceLock, RecentLogs recentLogs, IReadOnlyList<string>? stepWatchdogCommand)
    {
        this.recentLogs = recentLogs;
        this.stepWatchdogCommand = stepWatchdogCommand;
        this.host = host;
        Options = options;
        this.workspaceLock = workspaceLock;
    }

    public NodeOptions Options { get; }

    public IServiceProvider Services => host.Services;

    public ActorSystem System => host.Services.GetRequiredService<ActorSystem>();

    /// <summary>The persistence of runs: SQLite under the workspace for a lone node, the cluster's PostgreSQL with <c>--db</c>.</summary>
    public static LoomPersistenceOptions PersistenceOf(NodeOptions options) =>
        options.Db is { } db ? new LoomPersistenceOptions { PostgresConnectionString = db } : LoomPersistenceOptions.Embedded(StateFolder(options));

    /// <summary>What the node's run coordinator runs with: the run store, step logs under the workspace, and no run-wide limit
    /// of parallel jobs beyond the workflow's (each node's capacity bounds what runs there).</summary>
    public static LoomOptions LoomOptionsOf(NodeOptions options) => new()
    {
        Persistence = PersistenceOf(options),
        // With a database the steps' output is kept there: the coordinator that writes it may move to another node.
        StepLogs = options.Db is { } db ? ClusterStepLogs.PostgresStepLogs(Npgsql.NpgsqlDataSource.Create(db)) : new LoomStepLogOptions { RunsFolder = RunsFolder(options) },
        DefaultMaxParallel = 10_000,
    };

    /// <summary>
    /// The longest a graceful stop may take before the host gives up: the drain (<see cref="NodeOptions.DrainTimeout"/>, then
    /// abandoned jobs' hand-back) and 60 s for leaving the cluster and handing singletons over. A supervisor's stop timeout
    /// (systemd's TimeoutStopSec, Kubernetes' terminationGracePeriodSeconds, compose's stop_grace_period) should exceed it.
    /// </summary>
    public static TimeSpan ShutdownTimeoutOf(NodeOptions options) => options.DrainTimeout + DrainMargin + TimeSpan.FromSeconds(60);

    public static string StateFolder(NodeOptions options) => Path.Combine(Path.GetFullPath(options.Workspace), "state");

    public static string RunsFolder(NodeOptions options) => Path.Combine(Path.GetFullPath(options.Workspace), "runs");

    /// <summary>Where the gate records the step processes this node started.</summary>
    public static string ProcessesFolder(NodeOptions options) => Path.Combine(Path.GetFullPath(options.Workspace), "processes");

    public static string LogFile(NodeOptions options) => Path.Combine(Path.GetFullPath(options.Workspace), "logs", "node.log");

    /// <summary>
    /// Builds the node (nothing starts until <see cref="RunAsync"/>). Throws <see cref="NodeSettingsException"/> for invalid
    /// options, a secret or certificate file that cannot be used, or a workspace another node holds.
    /// </summary>
    /// <param name="configure">More of the actor system, after Loom's own (tests).</param>
    /// <param name="configuration">Its <c>akka</c> section (appsettings.json, <c>akka__...</c> variables) overrides cluster.hocon.</param>
    /// <param name="stepWatchdog">The command that runs the <see cref="StepWatchdog"/>, given the records folder as one more
    /// argument (<c>loom __step-watchdog</c>); null: none (tests that host nodes inside their own process).</param>
    public static LoomNode Build(NodeOptions options, Action<AkkaConfigurationBuilder, NodeOptions>? configure = null, IConfiguration? configuration = null,
        IReadOnlyList<string>? stepWatchdog = null)
    {
        if (NodeOptionsValidator.Problems(options) is { } problems)
            throw new NodeSettingsException(problems);
        // Read once, here: an unreadable secret or certificate is a bad setting (exit 2), not a failed start.
        var security = NodeSecurity.Load(options);
        var workspace = Path.GetFullPath(options.Workspace);
        var workspaceLock = LockWorkspace(workspace);
        try
        {
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
            {
                // Loom's command line is parsed already; the host must not read args or the environment into its configuration.
                DisableDefaults = true,
                Args = [],
                ContentRootPath = workspace,
            });
            builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
            // Drain, leave and hand over must finish before the host gives up on stopping.
            builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeoutOf(options));
            var recentLogs = new RecentLogs();
            builder.Services.AddAkka("loom", akka => Configure(akka, options, security, recentLogs, configure, configuration));
            // The node's health checks (NodeHealthEndpoint.WithNodeHealthChecks), served over HTTP with a health port.
            builder.Services.AddHealthChecks();
            if (options.HealthPort is not null)
                NodeHealthEndpoint.Add(builder.Services, options);
            // The web view (docs/web.md), after the actor system it reads.
            if (options.UiPort is not null)
                Web.NodeWebView.Add(builder.Services, options, security);
            return new LoomNode(builder.Build(), options, workspaceLock, recentLogs, stepWatchdog);
        }
        catch
        {
            workspaceLock.Dispose();
            throw;
        }
    }

    private static void Configure(AkkaConfigurationBuilder akka, NodeOptions options, NodeSecurity security, RecentLogs recentLogs,
        Action<AkkaConfigurationBuilder, NodeOptions>? configure, IConfiguration? configuration)
    {
        // Every client request (submit; admin) is checked against it; null: the node binds loopback and checks nothing.
        var secret = security.Secret;
        // Added lowest priority first: each Prepend goes in front of what is there.
        akka.AddHocon(ClusterHocon, HoconAddMode.Prepend)
            .ConfigureLoggers(loggers =>
            {
                loggers.LogLevel = LogLevel.InfoLevel;
                loggers.ClearLoggers();
                loggers.AddLogger<Akka.Logger.Serilog.SerilogLogger>();
            })
            .WithRemoting(ClusterTls.RemoteOptions(options.Hostname, options.Port, security.Tls))
            .WithClustering(new ClusterOptions())
            .AddHocon(NodeHocon(options), HoconAddMode.Prepend)
            .WithActors((system, registry) =>
            {
                var gate = system.ActorOf(NodeGate.Props(options.Capacity, ProcessesFolder(options)), "node-gate");
                registry.Register<NodeGateKey>(gate);
                system.ActorOf(MembershipLog.Props(), "membership-log");
                AddDrain(system, gate, options);
                // A lone node forms its own cluster at once (its address may be known only now: port 0).
                if (options.Discovery is null && options.Seeds.Count == 0)
                    Akka.Cluster.Cluster.Get(system).Join(Akka.Cluster.Cluster.Get(system).SelfAddress);
            })
            .WithNodeHealthChecks();
        if (options.Discovery == NodeOptions.KubernetesDiscovery)
        {
            // Akka.Management's bootstrap: nodes find each other's management endpoints through the Kubernetes API; the
            // lowest-addressed node forms the cluster once RequiredContactPoints are found and none is in a cluster yet.
            akka.WithAkkaManagement(hostName: options.Hostname, port: options.ManagementPort)
                .WithClusterBootstrap(serviceName: options.DiscoveryService, requiredContactPoints: options.RequiredContactPoints)
                .WithKubernetesDiscovery();
        }

        // Loom's cluster actors (run coordinator singleton, runner shard region, cluster client receptionist), after the gate they use.
        var loom = LoomOptionsOf(options);
        akka.WithLoomCluster(options, loom, registry => registry.Get<NodeGateKey>(), secret)
            .WithLoomAdmin(loom, secret, recentLogs);
        configure?.Invoke(akka, options);

        if (configuration?.GetSection("akka") is { } overrides && overrides.Exists())
            akka.AddHocon(overrides.ToHocon(), HoconAddMode.Prepend);
    }

    /// <summary>hocon/cluster.hocon, compiled into this assembly.</summary>
    public static Config ClusterHocon
    {
        get
        {
            using var stream = typeof(LoomNode).Assembly.GetManifestResourceStream("Loom.Cluster.cluster.hocon")
                ?? throw new InvalidOperationException("resource Loom.Cluster.cluster.hocon is missing from Loom.Cluster");
            using var reader = new StreamReader(stream);
            return ConfigurationFactory.ParseString(reader.ReadToEnd());
        }
    }

    /// <summary>Loom's version: every member advertises it (<c>loom ctl cluster show</c>).</summary>
    public static string Version => typeof(LoomNode).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary>This node's own settings: roles, seeds, version and the drain phase's timeout.</summary>
    internal static string NodeHocon(NodeOptions options)
    {
        static string Quote(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
        var roles = string.Join(", ", NodeRoles.Of(options).Select(Quote));
        // Every node lists the same seeds in the same order; see cluster.hocon's seed-node-timeout for why that never forms a second cluster.
        var seeds = string.Join(", ", options.SeedEndpoints.Select(e => Quote($"{options.RemotingScheme}://loom@{e.Host}:{e.Port}")));
        var drainPhase = (long)(options.DrainTimeout + DrainMargin).TotalMilliseconds;
        return string.Create(CultureInfo.InvariantCulture, $$"""
            akka.cluster.roles = [{{roles}}]
            akka.cluster.seed-nodes = [{{seeds}}]
            akka.cluster.app-version = "{{Version}}"
            akka.coordinated-shutdown.phases.{{CoordinatedShutdown.PhaseServiceRequestsDone}}.timeout = {{drainPhase}}ms
            """);
    }

    /// <summary>
    /// The graceful stop's first step: the gate stops granting slots and waits for running jobs (up to the drain timeout,
    /// then abandons them), in a phase before sharding stops its regions (which would stop the runners at once) and
    /// before the node leaves the cluster. A downed node does not drain: its jobs already run elsewhere.
    /// </summary>
    private static void AddDrain(ActorSystem system, IActorRef gate, NodeOptions options)
    {
        var shutdown = CoordinatedShutdown.Get(system);
        shutdown.AddTask(CoordinatedShutdown.PhaseServiceRequestsDone, "loom-drain", async () =>
        {
            if (shutdown.ShutdownReason is CoordinatedShutdown.ClusterDowningReason)
                return Done.Instance;
            await gate.Ask<NodeGateProtocol.Drained>(new NodeGateProtocol.Drain(options.DrainTimeout), options.DrainTimeout + DrainMargin).ConfigureAwait(false);
            return Done.Instance;
        });
    }

    /// <summary>
    /// Starts the node, prints its one start line to stderr and runs until SIGTERM/SIGINT (drain, leave, exit 0) or until the
    /// actor system ends by itself (downed by the Split Brain Resolver: exit 1).
    /// </summary>
    public async Task<int> RunAsync(CancellationToken cancellation = default)
    {
        Log.Logger = CreateLogger(Options, recentLogs);
        try
        {
            try
            {
                // Before the gate records any step process. A node without it could die and leave its steps running: not started.
                if (stepWatchdogCommand is not null)
                    stepWatchdog = StepWatchdog.Start(stepWatchdogCommand, ProcessesFolder(Options));
                await host.StartAsync(cancellation).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.Fatal(e, "the node did not start");
                throw new NodeStartException(Innermost(e).Message);
            }
            var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
            lifetime.ApplicationStopping.Register(() => stopRequested = true);
            var system = System;
            var self = Akka.Cluster.Cluster.Get(system).SelfAddress;
            var store = Options.Db is null ? $"sqlite {StateFolder(Options)}" : "postgresql";
            var security = (Options.ClusterSecretFile is null ? "" : " secret on") + (Options.TlsCertificate is null ? "" : " tls on");
            Console.Error.WriteLine(
                $"loom serve: node {self} labels {string.Join(",", Options.Labels)} capacity {Options.Capacity} workspace {Path.GetFullPath(Options.Workspace)} state {store}{security}");
            await host.WaitForShutdownAsync(cancellation).ConfigureAwait(false);
            var reason = CoordinatedShutdown.Get(system).ShutdownReason;
            Log.Information("node stopped ({Reason})", reason?.GetType().Name ?? "host stopped");
            // Akka.Remote stops the actor system when a TLS handshake it started fails (its reason type is internal): a
            // failure, so that a supervisor starts the node again.
            var tlsFailed = reason?.GetType().Name == "TlsHandshakeFailureReason";
            if (tlsFailed)
                Log.Error("the node stopped: a TLS handshake it started failed (every node and client of a cluster needs the same --tls-certificate)");
            return reason is CoordinatedShutdown.ClusterDowningReason or CoordinatedShutdown.ClusterJoinUnsuccessfulReason || tlsFailed ? 1 : 0;
        }
        finally
        {
            await Log.CloseAndFlushAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Whether a stop was asked for (SIGTERM, SIGINT or <see cref="StopAsync"/>), as opposed to the system ending by itself.</summary>
    public bool StopRequested => stopRequested;

    public Task StopAsync() => host.StopAsync();

    public async ValueTask DisposeAsync()
    {
        if (host is IAsyncDisposable disposable)
            await disposable.DisposeAsync().ConfigureAwait(false);
        else
            host.Dispose();
        // After the runners stopped their steps: the watchdog finds nothing left to kill, and exits.
        stepWatchdog?.Dispose();
        await workspaceLock.DisposeAsync().ConfigureAwait(false);
    }

    private static FileStream LockWorkspace(string workspace)
    {
        Directory.CreateDirectory(workspace);
        var owner = Path.Combine(workspace, "node.owner");
        try
        {
            // FileShare.None is flock(LOCK_EX) on Linux, released by the kernel when the process dies: a kill -9 leaves no stale lock.
            var stream = new FileStream(Path.Combine(workspace, "node.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            // The pid beside the lock, not in it: another process cannot read a file this one holds locked.
            File.WriteAllText(owner, Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
            return stream;
        }
        catch (IOException)
        {
            string pid;
            try
            {
                pid = File.ReadAllText(owner).Trim();
            }
            catch (IOException)
            {
                pid = "?";
            }
            throw new NodeSettingsException($"--workspace {workspace} is used by another loom serve (pid {pid}): each node needs a workspace of its own");
        }
    }

    private static Serilog.Core.Logger CreateLogger(NodeOptions options, RecentLogs recentLogs)
    {
        var file = LogFile(options);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        return new LoggerConfiguration()
            .MinimumLevel.Information()
            .WriteTo.Console(standardErrorFromLevel: LogEventLevel.Verbose, outputTemplate: "{Timestamp:HH:mm:ss.fff} {Level:u3} {Message:lj}{NewLine}{Exception}")
            .WriteTo.File(file, fileSizeLimitBytes: 64 * 1024 * 1024, rollOnFileSizeLimit: true, retainedFileCountLimit: 8)
            .WriteTo.Sink(recentLogs)
            .CreateLogger();
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null)
            e = e.InnerException;
        return e;
    }
}

/// <summary>The node could not start (a port in use, a database that does not answer): one line, exit code 1.</summary>
public sealed class NodeStartException(string message) : Exception(message);
