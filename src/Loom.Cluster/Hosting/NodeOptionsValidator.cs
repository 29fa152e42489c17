using System.Text.RegularExpressions;
using FluentValidation;
using Loom.Actors.Persistence;

namespace Loom.Cluster.Hosting;

/// <summary>
/// Checks a node's settings at start. Each message is one line that names the setting as an option and as
/// configuration, since it may come from either (<c>--capacity</c>, <c>Loom:Node:Capacity</c>, <c>Loom__Node__Capacity</c>).
/// </summary>
public sealed partial class NodeOptionsValidator : AbstractValidator<NodeOptions>
{
    public const int MaxCapacity = 1024;

    public NodeOptionsValidator()
    {
        RuleFor(o => o.Hostname).Must(IsHostname)
            .WithMessage(o => $"--hostname (Loom:Node:Hostname) must be a host name or IP address, not '{o.Hostname}'");
        RuleFor(o => o.Port).InclusiveBetween(0, 65535)
            .WithMessage(o => $"--port (Loom:Node:Port) must be from 0 to 65535, not {o.Port}");
        RuleForEach(o => o.Seeds).Must(s => NodeOptions.TryParseEndpoint(s, out _))
            .WithMessage((_, s) => $"--seed (Loom:Node:Seeds) must be HOST:PORT with a port from 1 to 65535, not '{s}'");
        RuleFor(o => o.Labels).NotEmpty()
            .WithMessage("--labels (Loom:Node:Labels) must name at least one label, or * for every label");
        RuleForEach(o => o.Labels).Must(l => l == NodeRoles.AnyLabel || LabelPattern().IsMatch(l))
            .WithMessage((_, l) => $"--labels (Loom:Node:Labels): '{l}' is not a label (letters, digits, '.', '_', '-'; or * for every label)");
        RuleFor(o => o.Capacity).InclusiveBetween(1, MaxCapacity)
            .WithMessage(o => $"--capacity (Loom:Node:Capacity) must be from 1 to {MaxCapacity}, not {o.Capacity}");
        RuleFor(o => o.Workspace).NotEmpty()
            .WithMessage("--workspace (Loom:Node:Workspace) must name a folder");
        RuleFor(o => o.Db).Must(PostgresRunStore.IsValidConnectionString).When(o => o.Db is not null)
            .WithMessage("--db (Loom:Node:Db) must be a PostgreSQL connection string naming a host, e.g. 'Host=db;Username=loom;Password=...;Database=loom'");
        RuleFor(o => o.DrainTimeout).InclusiveBetween(TimeSpan.Zero, TimeSpan.FromHours(24))
            .WithMessage(o => $"--drain-timeout (Loom:Node:DrainTimeout) must be from 0 to 24 hours, not {o.DrainTimeout}");
        RuleFor(o => o.Discovery).Must(d => d is null or NodeOptions.KubernetesDiscovery)
            .WithMessage(o => $"--discovery (Loom:Node:Discovery) must be '{NodeOptions.KubernetesDiscovery}' (or left out to use --seed), not '{o.Discovery}'");
        RuleFor(o => o.Seeds).Empty().When(o => o.Discovery is not null)
            .WithMessage("--seed and --discovery both say how to find the cluster: use one of them (Akka.Management's bootstrap does not run when seed nodes are set)");
        RuleFor(o => o.ManagementPort).InclusiveBetween(1, 65535).When(o => o.Discovery is not null)
            .WithMessage(o => $"--management-port (Loom:Node:ManagementPort) must be from 1 to 65535, not {o.ManagementPort}");
        RuleFor(o => o.RequiredContactPoints).InclusiveBetween(1, 1000).When(o => o.Discovery is not null)
            .WithMessage(o => $"Loom:Node:RequiredContactPoints must be from 1 to 1000, not {o.RequiredContactPoints}");
        RuleFor(o => o.DiscoveryService).Must(LabelPattern().IsMatch).When(o => o.Discovery is not null)
            .WithMessage(o => $"Loom:Node:DiscoveryService must be a service name, not '{o.DiscoveryService}'");
        // Anything that can reach the remoting port can submit runs, i.e. run commands on every node: off this machine, only with the secret.
        RuleFor(o => o.ClusterSecretFile).NotNull().When(o => IsHostname(o.Hostname) && !NodeOptions.IsLoopback(o.Hostname))
            .WithMessage(o => $"--hostname {o.Hostname} is not a loopback address, so other machines can reach this node: give the cluster a shared secret with --cluster-secret-file (Loom:Node:ClusterSecretFile), or keep the default 127.0.0.1 (see docs/security.md)");
        RuleFor(o => o.TlsCertificatePasswordFile).Null().When(o => o.TlsCertificate is null)
            .WithMessage("--tls-certificate-password-file (Loom:Node:TlsCertificatePasswordFile) is the password of --tls-certificate, which is not given");
        RuleFor(o => o.HealthPort).InclusiveBetween(0, 65535).When(o => o.HealthPort is not null)
            .WithMessage(o => $"--health-port (Loom:Node:HealthPort) must be from 0 to 65535, or off, not {o.HealthPort}");
        RuleFor(o => o.HealthPort).Must((o, port) => SharedPort(o, port!.Value) is null).When(o => o.HealthPort is > 0 and <= 65535)
            .WithMessage(o => $"--health-port {o.HealthPort} is also {SharedPort(o, o.HealthPort!.Value)}: each listener needs a port of its own");
        RuleFor(o => o.HealthHost).Must(h => ListenAddress(h) is not null).When(o => o.HealthHost is not null)
            .WithMessage(o => $"--health-host (Loom:Node:HealthHost) must be an IP address or localhost, not '{o.HealthHost}'");
        RuleFor(o => o.HealthHost).Null().When(o => o.HealthPort is null)
            .WithMessage("--health-host (Loom:Node:HealthHost) is where the health endpoints listen, and they are off: give --health-port too");
        // Nodes of one cluster must share the run state: one SQLite file per node would give each its own history
        // and let a second scheduler run the same run.
        RuleFor(o => o.Db).NotNull().When(o => o.JoinsOthers && o.Seeds.All(s => NodeOptions.TryParseEndpoint(s, out _)))
            .WithMessage("a node that joins others (a --seed other than itself, or --discovery) needs --db, the PostgreSQL database the cluster shares; only a lone node keeps its state in SQLite");
    }

    /// <summary>Every problem, on one line.</summary>
    public static string? Problems(NodeOptions options)
    {
        var result = new NodeOptionsValidator().Validate(options);
        return result.IsValid ? null : string.Join("; ", result.Errors.Select(e => e.ErrorMessage).Distinct());
    }

    /// <summary>The address <paramref name="host"/> names for a listener: an IP address (IPv6 with or without brackets), or <c>localhost</c>; null for anything else.</summary>
    public static System.Net.IPAddress? ListenAddress(string? host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) ? System.Net.IPAddress.Loopback
        : System.Net.IPAddress.TryParse(host?.Trim('[', ']'), out var address) ? address : null;

    /// <summary>The other listener of the node that <paramref name="port"/> would collide with, or null.</summary>
    private static string? SharedPort(NodeOptions o, int port) =>
        port == o.Port ? "the remoting --port"
        : o.Discovery is not null && port == o.ManagementPort ? "Akka.Management's --management-port"
        : port == o.UiPort ? "the web view's --ui-port"
        : null;

    public static bool IsHostname(string? host) => !string.IsNullOrEmpty(host) && host.Length <= 253 && HostPattern().IsMatch(host);

    // A DNS name or an IPv4 address; no scheme, user, path or port.
    [GeneratedRegex("^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$")]
    private static partial Regex HostPattern();

    [GeneratedRegex("^[A-Za-z0-9._-]+$")]
    private static partial Regex LabelPattern();
}
