namespace Loom.Core.Parsing;

/// <summary>
/// Feeds YamlDotNet's scanner and stops it once a single token has grown far past the scalar limit.
/// The scanner only hands a scalar over when it is complete, so without this a 50 MB scalar would be
/// buffered whole (twice) before the limit could be checked on the event.
/// </summary>
internal sealed class TokenLimitedReader(ReadOnlyMemory<char> text, long maxTokenChars) : TextReader
{
    // Covers the scanner's read-ahead: two 1 KiB buffer blocks plus up to 1 KiB of simple-key look-ahead.
    private const int Slack = 16 * 1024;

    private int position;
    private int tokenStart;

    /// <summary>Everything before <paramref name="index"/> has become parser events.</summary>
    public void Passed(long index)
    {
        if (index > tokenStart)
            tokenStart = (int)Math.Min(index, text.Length);
    }

    public override int Peek() => position < text.Length ? text.Span[position] : -1;

    public override int Read() => position < text.Length ? text.Span[position++] : -1;

    public override int Read(char[] buffer, int index, int count) => Read(buffer.AsSpan(index, count));

    public override int Read(Span<char> buffer)
    {
        var count = Math.Min(buffer.Length, text.Length - position);
        if (position + count - tokenStart > maxTokenChars + Slack)
        {
            SkipSeparators(position + count);
            if (position + count - tokenStart > maxTokenChars + Slack)
                throw new TokenTooLongException(tokenStart);
        }
        text.Span.Slice(position, count).CopyTo(buffer);
        position += count;
        return count;
    }

    /// <summary>Moves the token start over whitespace, comments and indicators, which may be long without any scalar being long.</summary>
    private void SkipSeparators(int end)
    {
        var span = text.Span;
        var i = tokenStart;
        while (i < end)
        {
            var c = span[i];
            if (c is ' ' or '\t' or '\r' or '\n' or ',' or '[' or ']' or '{' or '}')
                i++;
            else if (c is '-' or '?' or ':' && (i + 1 >= span.Length || span[i + 1] is ' ' or '\t' or '\r' or '\n'))
                i++;
            else if (c == '#')
            {
                var lineEnd = span[i..].IndexOfAny('\r', '\n');
                i = lineEnd < 0 ? span.Length : i + lineEnd;
            }
            else
                break;
        }
        tokenStart = Math.Min(i, span.Length);
    }
}

/// <summary>Thrown out of the scanner when one token passes the scalar limit; <see cref="Index"/> is where it starts.</summary>
internal sealed class TokenTooLongException(int index) : Exception("scalar too long")
{
    public int Index { get; } = index;
}
