using System.Globalization;
using System.Text;

namespace Loom.Core.Runtime;

/// <summary>
/// The strings registered for one secret, following GitHub's runner (HostContext's value encoders,
/// AddMaskCommandExtension and Worker.InitializeSecretMasker):
/// <list type="bullet">
/// <item>the value itself, at any length (the runner has no minimum), and its trimmed form;</item>
/// <item>for a multi-line value, each trimmed line, because step output is masked line by line;</item>
/// <item>for each of those: base64 of its UTF-8 bytes starting at byte 0, 1 and 2, so it is found inside
/// <c>base64("user:" + secret)</c> whatever the prefix length; URL-encoded (<c>Uri.EscapeDataString</c>)
/// and JSON-string-escaped forms.</item>
/// </list>
/// Loom adds each base64 form with its padding and the one partial character before it trimmed (the
/// runner's ADR 0297), so <c>echo "$SECRET" | base64</c>, where a newline follows the secret, is masked too.
/// Derived forms shorter than <see cref="MinimumDerivedLength"/> are dropped: a "}" line of a JSON key or
/// a two-character trimmed base64 tail would otherwise mask ordinary text everywhere.
/// </summary>
public static class SecretForms
{
    public const int MinimumDerivedLength = 4;

    private static readonly char[] LineBreaks = ['\r', '\n'];

    public static IReadOnlyCollection<string> Of(string value)
    {
        var plains = new List<string> { value };
        if (value.IndexOfAny(LineBreaks) < 0)
            plains.Add(value.Trim());
        else
            plains.AddRange(value.Split(LineBreaks, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Where(line => line.Length >= MinimumDerivedLength));

        var forms = new HashSet<string>(plains, StringComparer.Ordinal);
        foreach (var plain in plains)
            forms.UnionWith(EncodedForms(plain).Where(encoded => encoded.Length >= MinimumDerivedLength));
        return forms;
    }

    private static IEnumerable<string> EncodedForms(string plain)
    {
        var bytes = Encoding.UTF8.GetBytes(plain);
        for (var offset = 0; offset < 3 && offset < bytes.Length; offset++)
        {
            var base64 = Convert.ToBase64String(bytes, offset, bytes.Length - offset);
            yield return base64;
            yield return WithoutUnstableEnd(base64);
        }
        yield return Uri.EscapeDataString(plain);
        yield return JsonEscaped(plain);
    }

    /// <summary>
    /// With padding, the last data character also holds bits of whatever byte would follow the value,
    /// so only the characters before it are the same whatever is appended.
    /// </summary>
    private static string WithoutUnstableEnd(string base64)
    {
        var unpadded = base64.TrimEnd('=');
        return unpadded.Length == base64.Length ? base64 : unpadded[..^1];
    }

    /// <summary>The inside of a JSON string literal, as Newtonsoft (the runner's encoder) writes it.</summary>
    private static string JsonEscaped(string plain)
    {
        var escaped = new StringBuilder(plain.Length);
        foreach (var c in plain)
        {
            escaped.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                '\b' => "\\b",
                '\f' => "\\f",
                < ' ' => "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture),
                _ => c.ToString(),
            });
        }
        return escaped.ToString();
    }
}
