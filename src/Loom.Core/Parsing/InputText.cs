using System.Buffers;
using System.Text;
using System.Text.Unicode;
using Loom.Core.Diagnostics;

namespace Loom.Core.Parsing;

/// <summary>
/// Checks that the input is text before YamlDotNet sees it: its scanner reads a NUL as the end of input
/// and keeps a byte-order mark as part of the first key.
/// </summary>
internal static class InputText
{
    private const char ByteOrderMark = '\uFEFF';

    // C0 and C1 controls other than tab, line feed, carriage return and NEL, plus the two non-characters: outside YAML's printable set.
    private static readonly SearchValues<char> NonPrintable = SearchValues.Create(
        Enumerable.Range(0, 0x20).Where(c => c is not ('\t' or '\n' or '\r'))
            .Concat(Enumerable.Range(0x7F, 0x21).Where(c => c != 0x85))
            .Concat([0xFFFE, 0xFFFF])
            .Select(c => (char)c).ToArray());

    /// <summary>The text to parse, without its byte-order mark; null (and an error) when it is too large or not text.</summary>
    public static ReadOnlyMemory<char>? Prepare(string text, ParseLimits limits, DiagnosticBag errors)
    {
        if (IsTooLarge(text, limits.MaxFileBytes))
        {
            errors.Add(SourceLocation.Start, LimitMessages.FileTooLarge(limits));
            return null;
        }
        var body = text.AsMemory(text.StartsWith(ByteOrderMark) ? 1 : 0);
        var bad = FindNonPrintable(body.Span);
        if (bad >= 0)
        {
            errors.Add(TextPositions.LocationOf(body.Span, bad), $"invalid character U+{(int)body.Span[bad]:X4}: a workflow file must be UTF-8 text");
            return null;
        }
        return body;
    }

    /// <summary>Strict UTF-8 decoding: an invalid byte is an error at its line and column, never a replacement character.</summary>
    public static string? Decode(ReadOnlySpan<byte> bytes, DiagnosticBag errors)
    {
        if (!Utf8.IsValid(bytes))
        {
            var valid = ValidPrefixLength(bytes);
            var prefix = Encoding.UTF8.GetString(bytes[..valid]);
            errors.Add(TextPositions.LocationOf(prefix, prefix.Length), $"file is not UTF-8 text (invalid byte 0x{bytes[valid]:X2})");
            return null;
        }
        return Encoding.UTF8.GetString(bytes);
    }

    private static int ValidPrefixLength(ReadOnlySpan<byte> bytes)
    {
        Span<char> scratch = stackalloc char[1024];
        var valid = 0;
        OperationStatus status;
        do
        {
            status = Utf8.ToUtf16(bytes[valid..], scratch, out var read, out _, replaceInvalidSequences: false);
            valid += read;
        }
        while (status == OperationStatus.DestinationTooSmall);
        return valid;
    }

    private static bool IsTooLarge(string text, long maxBytes) =>
        text.Length > maxBytes || (text.Length * 3L > maxBytes && Encoding.UTF8.GetByteCount(text) > maxBytes);

    /// <summary>The first character outside YAML's printable set, counting a surrogate without its pair; -1 when none.</summary>
    private static int FindNonPrintable(ReadOnlySpan<char> text)
    {
        var bad = text.IndexOfAny(NonPrintable);
        var end = bad < 0 ? text.Length : bad;
        for (var from = 0; from < end;)
        {
            var next = text[from..end].IndexOfAnyInRange('\uD800', '\uDFFF');
            if (next < 0)
                break;
            var i = from + next;
            if (!char.IsHighSurrogate(text[i]) || i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]))
                return i;
            from = i + 2;
        }
        return bad;
    }
}
