namespace Loom.Cluster.Hosting;

/// <summary>
/// Settings of one <c>loom serve</c> node; bound from configuration section <c>Loom:Node</c>
/// (<c>appsettings.json</c>, <c>Loom__Node__Capacity=4</c>, command-line options).
/// </summary>
public sealed record NodeOptions
{
    public const string Section = "Loom:Node";

    /// <summary>
    /// The address other nodes reach this one at; remoting binds to it. Loopback by default: another address needs
    /// <see cref="ClusterSecretFile"/> (docs/security.md).
    /// </summary>
    public string Hostname { get; set; } = "127.0.0.1";

    /// <summary>The remoting port; 0 picks a free one (tests).</summary>
    public int Port { get; set; } = 4053;

    /// <summary>Seed nodes as <c>HOST:PORT</c>; empty: this node is the first of a new cluster.</summary>
    public List<string> Seeds { get; set; } = [];

    /// <summary>What jobs' <c>runs-on</c> may ask of this node; <c>*</c> serves every label.</summary>
    public List<string> Labels { get; set; } = [NodeRoles.AnyLabel];

    /// <summary>The most jobs running at once on this node.</summary>
    public int Capacity { get; set; } = Environment.ProcessorCount;

    /// <summary>Where this node keeps run workspaces, its blob cache and the record of its step processes.</summary>
    public string Workspace { get; set; } = Path.Combine(Environment.CurrentDirectory, ".loom-node");

    /// <summary>An Npgsql connection string for the run state; null: a lone node keeps it in SQLite under <see cref="Workspace"/>.</summary>
    public string? Db { get; set; }

    /// <summary>On a graceful stop, how long running jobs may go on before they are cancelled and handed back.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How the node finds the others instead of <see cref="Seeds"/>: null (seeds), or <c>kubernetes</c> (Akka.Management cluster bootstrap).</summary>
    public string? Discovery { get; set; }

    /// <summary>The Akka.Management HTTP port other nodes' bootstrap probes (with <see cref="Discovery"/> only).</summary>
    public int ManagementPort { get; set; } = 8558;

    /// <summary>With <see cref="Discovery"/>: the service (pod label <c>app</c>) whose pods form the cluster.</summary>
    public string DiscoveryService { get; set; } = "loom";

    /// <summary>With <see cref="Discovery"/>: how many nodes must be found before the first forms the cluster.</summary>
    public int RequiredContactPoints { get; set; } = 3;

    /// <summary>
    /// A file holding the cluster's shared secret (at least <see cref="ClusterSecret.MinimumLength"/> characters): every
    /// submit and admin request must carry it. Required when <see cref="Hostname"/> is not a loopback address.
    /// </summary>
    public string? ClusterSecretFile { get; set; }

    /// <summary>A PKCS#12 (.pfx) certificate with its private key, the same on every node and client: remoting uses mutually authenticated TLS (<see cref="ClusterTls"/>).</summary>
    public string? TlsCertificate { get; set; }

    /// <summary>A file holding <see cref="TlsCertificate"/>'s password; null for a certificate without one.</summary>
    public string? TlsCertificatePasswordFile { get; set; }

    /// <summary>The web view's port (<c>--ui-port</c>; 0, the default, picks a free one); null (<c>--ui-port off</c>): no web view. See docs/web.md.</summary>
    public int? UiPort { get; set; } = 0;

    /// <summary>The web view's address: loopback only until it checks the cluster secret (default 127.0.0.1).</summary>
    public string? UiHost { get; set; }

    /// <summary>
    /// The port of the health endpoints for probes (<c>--health-port</c>: <c>GET /health/ready</c>, <c>/health/alive</c>; 0 picks a
    /// free one); null (the default, <c>off</c>): none. See <see cref="NodeHealthEndpoint"/>.
    /// </summary>
    public int? HealthPort { get; set; }

    /// <summary>The health endpoints' address; null: every address (what a kubelet's probe of the pod IP needs).</summary>
    public string? HealthHost { get; set; }

    public const string KubernetesDiscovery = "kubernetes";

    /// <summary>How other nodes address this one: <c>akka.ssl.tcp</c> with <see cref="TlsCertificate"/>, else <c>akka.tcp</c>.</summary>
    public string RemotingScheme => TlsCertificate is null ? ClusterTls.PlainScheme : ClusterTls.Scheme;

    /// <summary>Whether <paramref name="host"/> is reachable from this machine only: <c>localhost</c> or a loopback IP address.</summary>
    public static bool IsLoopback(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || System.Net.IPAddress.TryParse(host, out var address) && System.Net.IPAddress.IsLoopback(address);

    /// <summary>The seeds as written, parsed; entries that are not <c>HOST:PORT</c> are left out (the validator names them).</summary>
    public IReadOnlyList<(string Host, int Port)> SeedEndpoints =>
        Seeds.Select(s => TryParseEndpoint(s, out var endpoint) ? endpoint : default).Where(e => e.Host is not null).ToList();

    /// <summary>Whether this node joins other nodes (a seed that is not itself, or discovery) rather than standing alone.</summary>
    public bool JoinsOthers => Discovery is not null || SeedEndpoints.Any(e => !IsSelf(e));

    /// <summary>Whether <paramref name="endpoint"/> is this node's own address.</summary>
    public bool IsSelf((string Host, int Port) endpoint) =>
        endpoint.Port == Port && string.Equals(endpoint.Host, Hostname, StringComparison.OrdinalIgnoreCase);

    public static bool TryParseEndpoint(string text, out (string Host, int Port) endpoint)
    {
        endpoint = default;
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port)
            || port is < 1 or > 65535)
            return false;
        var host = text[..colon];
        if (!NodeOptionsValidator.IsHostname(host))
            return false;
        endpoint = (host, port);
        return true;
    }
}

/// <summary>
/// How a node advertises its labels and capacity: as cluster roles, which every member sees. Roles are written into
/// HOCON, so they keep to letters, digits, '.', '_' and '-' (labels are held to that too); <c>*</c> becomes
/// <see cref="AllLabelsRole"/>.
/// </summary>
public static class NodeRoles
{
    /// <summary>Every Loom node has this role: runner shard regions and the coordinator singleton live on it.</summary>
    public const string Node = "loom-node";

    public const string AnyLabel = "*";

    public const string AllLabelsRole = "loom-all-labels";

    private const string LabelPrefix = "loom-label-";
    private const string CapacityPrefix = "loom-capacity-";

    public static IEnumerable<string> Of(NodeOptions options) =>
        new[] { Node, CapacityPrefix + options.Capacity.ToString(System.Globalization.CultureInfo.InvariantCulture) }
            .Concat(options.Labels.Select(l => l == AnyLabel ? AllLabelsRole : LabelPrefix + l));

    /// <summary>The labels a member's roles advertise (<c>*</c> for any).</summary>
    public static IReadOnlySet<string> LabelsOf(IEnumerable<string> roles) =>
        roles.Select(r => r == AllLabelsRole ? AnyLabel : r.StartsWith(LabelPrefix, StringComparison.Ordinal) ? r[LabelPrefix.Length..] : null)
            .OfType<string>().ToHashSet(StringComparer.Ordinal);

    /// <summary>The capacity a member's roles advertise; 0 for a member that is not a Loom node.</summary>
    public static int CapacityOf(IEnumerable<string> roles) =>
        roles.FirstOrDefault(r => r.StartsWith(CapacityPrefix, StringComparison.Ordinal)) is { } role
        && int.TryParse(role.AsSpan(CapacityPrefix.Length), System.Globalization.CultureInfo.InvariantCulture, out var capacity) ? capacity : 0;

    /// <summary>Whether a node with <paramref name="nodeLabels"/> may run a job that asks for <paramref name="wanted"/>.</summary>
    public static bool Serves(IReadOnlySet<string> nodeLabels, IEnumerable<string> wanted) =>
        nodeLabels.Contains(AnyLabel) || wanted.All(nodeLabels.Contains);
}
