using Loom.Cluster.Hosting;

namespace Loom.Cli.Commands;

/// <summary>
/// <c>loom serve</c>: starts a cluster node. The only command that loads the cluster assemblies: everything that names a
/// Loom.Cluster type is reached from <see cref="ExecuteAsync"/>, whose signature names none, so <c>loom run</c> never loads them.
/// </summary>
public static class ServeCommand
{
    public const string Help = """
        Usage: loom serve [options]

        Starts a Loom cluster node: it joins the cluster through --seed (or --discovery), advertises
        its labels and capacity, and runs the jobs the cluster gives it. A lone node (no --seed, or
        only itself) keeps run state in SQLite under --workspace; a node that joins others needs
        --db, the PostgreSQL database the cluster shares. Every node should list the same seeds in
        the same order; a restarted node, the first seed included, rejoins the running cluster.
        SIGTERM (or Ctrl-C) drains: no new jobs, running ones may finish for --drain-timeout, then
        they are cancelled and handed back; then the node leaves the cluster and exits 0. A second
        loom process, the node's step watchdog, runs beside it: if the node dies without ending its
        steps (kill -9, out of memory), the watchdog kills them at once.

        Options:
          --hostname HOST        the address other nodes reach this one at (default 127.0.0.1)
          --port N               the cluster port (default 4053; 0 picks a free one)
          --seed HOST:PORT       a seed node; repeat for each (the same list, in the same order, on every node)
          --labels L1,L2         what jobs' runs-on may ask of this node (default *: every label)
          --capacity N           most jobs running at once on this node (default: the processor count)
          --workspace DIR        where the node keeps its state, run workspaces and logs (default ./.loom-node)
          --db CONNECTION        PostgreSQL connection string for the run state (needed to join others)
          --drain-timeout TIME   how long running jobs may finish on SIGTERM (default 60s; e.g. 90s, 5m)
          --discovery kubernetes find the other nodes through Akka.Management and the Kubernetes API (not with --seed)
          --management-port N    Akka.Management's HTTP port with --discovery (default 8558)
          --cluster-secret-file FILE
                                 the cluster's shared secret (16+ characters): every submit must carry it;
                                 required with a --hostname other than 127.0.0.1/localhost
          --tls-certificate FILE remoting over TLS with this PKCS#12 (.pfx) certificate, the same on every node
                                 and client; each end accepts only a peer that presents it (docs/security.md)
          --tls-certificate-password-file FILE
                                 the certificate's password (default: none)
          --ui-port PORT|off     the web view of the cluster's runs on 127.0.0.1:PORT (default 0: a free port;
                                 its address is printed on stderr; off: none); see docs/web.md
          --ui-host ADDR         the web view's address (default 127.0.0.1); any other needs --cluster-secret-file,
                                 and then every request needs the secret (a sign-in page, or Authorization: Bearer)
          --health-port PORT|off readiness and liveness for probes over plain HTTP: GET /health/ready and
                                 /health/alive answer 200 or 503 with a short JSON reason, without sign-in (they
                                 tell only the node's status), also with --ui-port off (default off; 0: a free port)
          --health-host ADDR     the health endpoints' address (default: every address, as a pod's probes need)

        Each option is also a setting Loom:Node:<Name> in ./appsettings.json or an environment variable
        Loom__Node__<Name> (Loom__Node__Capacity=4, Loom__Node__Seeds=a:4053,b:4053); the command line
        wins over the environment, which wins over the file. Akka settings (hocon/cluster.hocon) can be
        overridden under 'akka' (akka__cluster__split_brain_resolver__stable_after=7s).
        Logs go to stderr and to DIR/logs/node.log.

        Exit codes: 0 stopped by SIGTERM/SIGINT, 1 the node failed or was downed, 2 invalid settings.

        """;

    /// <summary>The hidden command a node starts beside itself: <c>loom __step-watchdog RECORDS</c> (see StepWatchdog).</summary>
    public const string StepWatchdogCommand = "__step-watchdog";

    private static readonly HashSet<string> Flags = [];

    // Option -> configuration key; --seed repeats.
    private static readonly Dictionary<string, string> Keys = new(StringComparer.Ordinal)
    {
        ["--hostname"] = "Hostname",
        ["--port"] = "Port",
        ["--labels"] = "Labels",
        ["--capacity"] = "Capacity",
        ["--workspace"] = "Workspace",
        ["--db"] = "Db",
        ["--drain-timeout"] = "DrainTimeout",
        ["--discovery"] = "Discovery",
        ["--management-port"] = "ManagementPort",
        ["--cluster-secret-file"] = "ClusterSecretFile",
        ["--tls-certificate"] = "TlsCertificate",
        ["--tls-certificate-password-file"] = "TlsCertificatePasswordFile",
        ["--ui-port"] = "UiPort",
        ["--ui-host"] = "UiHost",
        ["--health-port"] = "HealthPort",
        ["--health-host"] = "HealthHost",
    };

    public static async Task<int> ExecuteAsync(string[] args) => await RunAsync(SettingsOf(args));

    /// <summary><c>loom __step-watchdog RECORDS</c>: waits for its node's end on stdin, then kills the steps it left.</summary>
    public static int StepWatchdog(string[] args)
    {
        if (args is not [var records])
            throw new UsageException($"{StepWatchdogCommand} takes the node's step process records folder (loom serve starts it)");
        return Cluster.Node.StepWatchdog.Run(records, Console.Error);
    }

    /// <summary>
    /// How this loom starts itself again with <paramref name="args"/>: the apphost (<c>/opt/loom/loom</c>, the dotnet tool)
    /// alone, or the dotnet host and loom.dll when it runs as <c>dotnet loom.dll</c>.
    /// </summary>
    internal static List<string> SelfCommand(string processPath, string assembly, params string[] args) =>
        Path.GetFileNameWithoutExtension(processPath) == "dotnet" ? [processPath, assembly, .. args] : [processPath, .. args];

    /// <summary>
    /// What a <c>loom serve</c> command line sets, as configuration keys (<c>Loom:Node:Port</c>), read and checked like every other
    /// source; a <see cref="UsageException"/> for an unknown option or a stray argument. (The deploy tests check the systemd unit's
    /// and the StatefulSet's arguments with it.)
    /// </summary>
    public static List<KeyValuePair<string, string?>> SettingsOf(IReadOnlyList<string> args)
    {
        var line = CommandLine.Parse(args, Flags, new HashSet<string>(Keys.Keys) { "--seed" });
        if (line.File is { } unexpected)
            throw new UsageException($"unexpected argument '{unexpected}' (loom serve takes options only; see 'loom serve --help')");
        return Overrides(line);
    }

    private static async Task<int> RunAsync(List<KeyValuePair<string, string?>> overrides)
    {
        LoomNode node;
        try
        {
            var configuration = NodeConfiguration.Build(Environment.CurrentDirectory, overrides);
            var options = NodeConfiguration.Load(configuration);
            var watchdog = SelfCommand(Environment.ProcessPath ?? "loom", typeof(ServeCommand).Assembly.Location, StepWatchdogCommand);
            node = LoomNode.Build(options, configure: null, configuration, watchdog);
        }
        catch (NodeSettingsException e)
        {
            throw new UsageException(e.Message);
        }
        // Nothing of the node's goes to stdout (Akka.Hosting prints a failed start there too; it is logged instead).
        Console.SetOut(TextWriter.Null);
        await using (node)
        {
            try
            {
                return await node.RunAsync();
            }
            catch (NodeStartException e)
            {
                Console.Error.WriteLine($"loom: error: the node did not start: {e.Message}");
                return ExitCodes.Failure;
            }
        }
    }

    /// <summary>The command line's options as configuration keys, so they are read and checked like every other source.</summary>
    private static List<KeyValuePair<string, string?>> Overrides(CommandLine line)
    {
        var overrides = new List<KeyValuePair<string, string?>>();
        foreach (var (option, key) in Keys)
        {
            if (line.Value(option) is { } value)
                overrides.Add(new($"{NodeOptions.Section}:{key}", value));
        }
        // One comma-separated value: a list's value wins over its indexed entries (from appsettings.json), see NodeConfiguration.
        if (line.All("--seed") is { Count: > 0 } seeds)
            overrides.Add(new($"{NodeOptions.Section}:Seeds", string.Join(',', seeds)));
        return overrides;
    }
}
