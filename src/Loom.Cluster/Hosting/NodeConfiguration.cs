using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Loom.Cluster.Hosting;

/// <summary>A setting that cannot be read or is invalid: printed as one line, exit code 2.</summary>
public sealed class NodeSettingsException(string message) : Exception(message);

/// <summary>
/// Reads <see cref="NodeOptions"/> from configuration: <c>appsettings.json</c> of the working folder, then environment
/// variables in .NET's form (<c>Loom__Node__Capacity=4</c>), then the command line's options, each over the one before.
/// </summary>
/// <remarks>
/// Bound by hand rather than with the configuration binder: the binder appends a list to its default (<c>*</c> and
/// <c>gpu</c> instead of <c>gpu</c>), cannot take <c>linux,gpu</c> as a list, and its conversion errors are exceptions
/// with a type name in them. Here an unknown key is an error too (<c>Loom__Node__Capcity</c> would otherwise be ignored).
/// </remarks>
public static class NodeConfiguration
{
    public const string SettingsFile = "appsettings.json";

    /// <param name="directory">Where <c>appsettings.json</c> is looked for (the working folder).</param>
    /// <param name="overrides">Settings from the command line, as configuration keys (<c>Loom:Node:Port</c>).</param>
    public static IConfigurationRoot Build(string directory, IEnumerable<KeyValuePair<string, string?>> overrides)
    {
        try
        {
            return new ConfigurationBuilder()
                .AddJsonFile(Path.Combine(Path.GetFullPath(directory), SettingsFile), optional: true, reloadOnChange: false)
                .AddEnvironmentVariables()
                .AddInMemoryCollection(overrides)
                .Build();
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or IOException)
        {
            throw new NodeSettingsException($"{SettingsFile}: {FirstLine(e.InnerException?.Message ?? e.Message)}");
        }
    }

    public static NodeOptions Bind(IConfiguration configuration)
    {
        var options = new NodeOptions();
        foreach (var setting in configuration.GetSection(NodeOptions.Section).GetChildren())
        {
            var key = $"{NodeOptions.Section}:{setting.Key}";
            switch (setting.Key.ToLowerInvariant())
            {
                case "hostname": options.Hostname = Text(setting); break;
                case "port": options.Port = Int(setting, key); break;
                case "seeds": options.Seeds = List(setting); break;
                case "labels": options.Labels = List(setting); break;
                case "capacity": options.Capacity = Int(setting, key); break;
                case "workspace": options.Workspace = Text(setting); break;
                case "db": options.Db = setting.Value is { Length: > 0 } db ? db : null; break;
                case "draintimeout": options.DrainTimeout = Duration(setting, key); break;
                case "discovery": options.Discovery = setting.Value is { Length: > 0 } d ? d.ToLowerInvariant() : null; break;
                case "managementport": options.ManagementPort = Int(setting, key); break;
                case "discoveryservice": options.DiscoveryService = Text(setting); break;
                case "requiredcontactpoints": options.RequiredContactPoints = Int(setting, key); break;
                case "clustersecretfile": options.ClusterSecretFile = Optional(setting); break;
                case "tlscertificate": options.TlsCertificate = Optional(setting); break;
                case "tlscertificatepasswordfile": options.TlsCertificatePasswordFile = Optional(setting); break;
                case "uiport": options.UiPort = setting.Value is { Length: > 0 } value && !value.Equals("off", StringComparison.OrdinalIgnoreCase) ? Int(setting, key) : null; break;
                case "uihost": options.UiHost = setting.Value is { Length: > 0 } host ? host : null; break;
                case "healthport": options.HealthPort = setting.Value is { Length: > 0 } health && !health.Equals("off", StringComparison.OrdinalIgnoreCase) ? Int(setting, key) : null; break;
                case "healthhost": options.HealthHost = Optional(setting); break;
                default:
                    throw new NodeSettingsException($"{key} is not a setting of a node (known: Hostname, Port, Seeds, Labels, Capacity, Workspace, Db, DrainTimeout, Discovery, ManagementPort, DiscoveryService, RequiredContactPoints, ClusterSecretFile, TlsCertificate, TlsCertificatePasswordFile, UiPort, UiHost, HealthPort, HealthHost)");
            }
        }
        return options;
    }

    /// <summary>Reads and validates; the one-line reason when anything is wrong.</summary>
    public static NodeOptions Load(IConfiguration configuration)
    {
        var options = Bind(configuration);
        if (NodeOptionsValidator.Problems(options) is { } problems)
            throw new NodeSettingsException(problems);
        return options;
    }

    /// <summary><c>90s</c>, <c>2m</c>, <c>500ms</c>, <c>1h</c>, a number of seconds, or .NET's <c>00:01:30</c>.</summary>
    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        text = text.Trim();
        duration = default;
        (string Suffix, double Scale)[] units = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)];
        foreach (var (suffix, scale) in units)
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && double.TryParse(text.AsSpan(0, text.Length - suffix.Length), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n))
            {
                duration = TimeSpan.FromSeconds(n * scale);
                return true;
            }
        }
        if (double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds))
        {
            duration = TimeSpan.FromSeconds(seconds);
            return true;
        }
        return text.Contains(':') && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out duration) && duration >= TimeSpan.Zero;
    }

    private static string Text(IConfigurationSection setting) => setting.Value ?? "";

    private static string? Optional(IConfigurationSection setting) => setting.Value is { Length: > 0 } value ? value : null;

    private static int Int(IConfigurationSection setting, string key) =>
        int.TryParse(setting.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new NodeSettingsException($"{key} must be a whole number, not '{setting.Value}'");

    private static TimeSpan Duration(IConfigurationSection setting, string key) =>
        setting.Value is { } text && TryParseDuration(text, out var duration)
            ? duration
            : throw new NodeSettingsException($"{key} must be a duration such as 90s, 5m or 00:01:30, not '{setting.Value}'");

    // A list is either a JSON array / indexed keys (Labels__0=linux) or one comma-separated value (Labels=linux,gpu).
    private static List<string> List(IConfigurationSection setting)
    {
        IEnumerable<string?> items = setting.Value is { } value ? [value] : setting.GetChildren().Select(c => c.Value);
        return items.SelectMany(i => (i ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToList();
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();
}
