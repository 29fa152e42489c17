using System.Buffers;
using System.Text;

namespace Loom.Core.Parsing;

/// <summary>Turns user text and limits into message fragments.</summary>
internal static class MessageText
{
    private const int MaxQuotedLength = 80;
    private const long KiB = 1024;
    private const long MiB = 1024 * KiB;

    private static readonly SearchValues<char> Controls = SearchValues.Create(
        Enumerable.Range(0, 0x20).Concat(Enumerable.Range(0x7F, 0x21)).Concat([0x2028, 0x2029]).Select(c => (char)c).ToArray());

    /// <summary><paramref name="value"/> in single quotes, control characters escaped and long values cut.</summary>
    public static string Quote(string value)
    {
        var cut = value.Length > MaxQuotedLength;
        return $"'{OneLine(cut ? value[..MaxQuotedLength] : value)}{(cut ? "..." : "")}'";
    }

    public static string DidYouMean(string? suggestion) => suggestion is null ? "" : $" (did you mean {Quote(suggestion)}?)";

    /// <summary>A byte count the way limits are written: <c>64 MiB</c>, <c>512 KiB</c>, <c>100 bytes</c>.</summary>
    public static string Bytes(long bytes) =>
        bytes > 0 && bytes % MiB == 0 ? $"{bytes / MiB} MiB"
        : bytes > 0 && bytes % KiB == 0 ? $"{bytes / KiB} KiB"
        : $"{bytes} bytes";

    /// <summary>Escapes line breaks and other control characters, which would break the one-error-per-line output.</summary>
    public static string OneLine(string text)
    {
        if (text.AsSpan().IndexOfAny(Controls) < 0)
            return text;
        var builder = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            builder.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when Controls.Contains(c) => $"\\u{(int)c:X4}",
                _ => c.ToString(),
            });
        }
        return builder.ToString();
    }
}
