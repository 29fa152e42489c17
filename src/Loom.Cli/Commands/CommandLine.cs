namespace Loom.Cli.Commands;

/// <summary>A usage error: printed as <c>loom: error: ...</c>, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>
/// The small argument grammar every command shares: one optional positional FILE, flags, and
/// options with a value (<c>--name value</c> or <c>--name=value</c>, repeatable where listed).
/// Hand-rolled because start-up time is a product feature here.
/// </summary>
public sealed class CommandLine
{
    private readonly Dictionary<string, List<string>> values = new(StringComparer.Ordinal);
    private readonly HashSet<string> flags = new(StringComparer.Ordinal);

    private CommandLine(string? file) => File = file;

    public string? File { get; }

    public bool Has(string flag) => flags.Contains(flag);

    public IReadOnlyList<string> All(string option) => values.TryGetValue(option, out var list) ? list : [];

    public string? Value(string option) => values.TryGetValue(option, out var list) ? list[^1] : null;

    public int? PositiveInt(string option)
    {
        var text = Value(option);
        if (text is null)
            return null;
        return int.TryParse(text, out var n) && n > 0 ? n : throw new UsageException($"{option} needs a positive whole number, not '{text}'");
    }

    /// <param name="flagNames">Options without a value.</param>
    /// <param name="valueNames">Options with a value; aliases map short forms to these.</param>
    public static CommandLine Parse(IReadOnlyList<string> args, ISet<string> flagNames, ISet<string> valueNames, IReadOnlyDictionary<string, string>? aliases = null)
    {
        string? file = null;
        var parsed = new List<(string Name, string? Value)>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg.StartsWith('-') && arg.Length > 1)
            {
                var equals = arg.IndexOf('=');
                var name = equals > 0 ? arg[..equals] : arg;
                name = aliases is not null && aliases.TryGetValue(name, out var canonical) ? canonical : name;
                if (flagNames.Contains(name) && equals < 0)
                    parsed.Add((name, null));
                else if (valueNames.Contains(name))
                {
                    var value = equals > 0 ? arg[(equals + 1)..] : i + 1 < args.Count ? args[++i] : throw new UsageException($"{name} needs a value");
                    parsed.Add((name, value));
                }
                else
                    throw new UsageException($"unknown option '{arg}'");
            }
            else if (file is null)
                file = arg;
            else
                throw new UsageException($"unexpected argument '{arg}' (only one workflow file)");
        }
        var line = new CommandLine(file);
        foreach (var (name, value) in parsed)
        {
            if (value is null)
                line.flags.Add(name);
            else
            {
                if (!line.values.TryGetValue(name, out var list))
                    line.values[name] = list = [];
                list.Add(value);
            }
        }
        return line;
    }
}
