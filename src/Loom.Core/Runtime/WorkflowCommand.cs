using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Loom.Core.Runtime;

/// <summary>
/// One workflow command line, <c>::name key=value,key2=value2::message</c>, parsed as GitHub's runner
/// does (ActionCommand.TryParseV2): leading whitespace is allowed; the properties are split at commas,
/// each at its first <c>=</c>, and a pair with an empty key or value is dropped; property keys are
/// case-insensitive. The message decodes <c>%25</c>, <c>%0D</c>, <c>%0A</c>; property values also
/// <c>%3A</c> and <c>%2C</c>. Any name parses; which names are commands is the processor's business.
/// </summary>
public sealed record WorkflowCommand(string Name, IReadOnlyDictionary<string, string> Properties, string Message)
{
    private const string Marker = "::";

    public static bool TryParse(string line, [NotNullWhen(true)] out WorkflowCommand? command)
    {
        command = null;
        var text = line.AsSpan().TrimStart();
        if (!text.StartsWith(Marker, StringComparison.Ordinal))
            return false;
        var infoEnd = text[Marker.Length..].IndexOf(Marker, StringComparison.Ordinal);
        if (infoEnd < 0)
            return false;
        var info = text.Slice(Marker.Length, infoEnd);
        var space = info.IndexOf(' ');
        var name = space < 0 ? info : info[..space];
        if (name.IsEmpty)
            return false;

        var properties = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (space >= 0)
            ReadProperties(info[(space + 1)..].Trim().ToString(), properties);
        var message = Decode(text[(Marker.Length + infoEnd + Marker.Length)..], inProperty: false);
        command = new WorkflowCommand(name.ToString(), properties, message);
        return true;
    }

    public bool Is(string name) => string.Equals(Name, name, StringComparison.OrdinalIgnoreCase);

    public string? Property(string key) => Properties.GetValueOrDefault(key);

    private static void ReadProperties(string text, Dictionary<string, string> properties)
    {
        foreach (var pair in text.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=');
            if (equals > 0 && equals < pair.Length - 1)
                properties[pair[..equals]] = Decode(pair.AsSpan(equals + 1), inProperty: true);
        }
    }

    private static string Decode(ReadOnlySpan<char> text, bool inProperty)
    {
        if (!text.Contains('%'))
            return text.ToString();
        var decoded = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var escaped = text[i] == '%' && i + 2 < text.Length ? Escape(text.Slice(i + 1, 2), inProperty) : null;
            if (escaped is { } c)
            {
                decoded.Append(c);
                i += 2;
            }
            else
            {
                decoded.Append(text[i]);
            }
        }
        return decoded.ToString();
    }

    /// <summary>Codes are upper case only: the runner replaces exact strings, so <c>%0a</c> stays as is.</summary>
    private static char? Escape(ReadOnlySpan<char> code, bool inProperty) => code switch
    {
        "25" => '%',
        "0D" => '\r',
        "0A" => '\n',
        "3A" when inProperty => ':',
        "2C" when inProperty => ',',
        _ => null,
    };
}
