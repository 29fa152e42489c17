namespace Loom.Cluster.Hosting;

/// <summary>
/// Settings of one <c>loom serve</c> node; bound from configuration section <c>Loom:Node</c>
/// (<c>appsettings.json</c>, <c>Loom__Node__Capacity=4</c>, command-line options).
/// </summary>
public sealed record NodeOptions
{
    public const string Section = "Loom:Node";

    /// <summary>The address other nodes reach this one at; remoting binds to it.</summary>
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
}

/// <summary>
/// How a node advertises its labels and capacity: as cluster roles, which every member sees. Roles are written into
/// HOCON unquoted, so they keep to letters, digits, '.', '_' and '-' (labels are held to that too); <c>*</c> becomes
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

    /// <summary>What a label may look like (besides <c>*</c>).</summary>
    public static bool IsValidLabel(string label) =>
        label.Length > 0 && char.IsAsciiLetterOrDigit(label[0]) && label.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

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
