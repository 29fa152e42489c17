using Loom.Core.Diagnostics;

namespace Loom.Core.Parsing;

/// <summary>Line and column of a character offset, counting line breaks the way YamlDotNet's scanner does.</summary>
internal static class TextPositions
{
    public static SourceLocation LocationOf(ReadOnlySpan<char> text, int index)
    {
        var line = 1;
        var lineStart = 0;
        for (var i = 0; i < index && i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
                i++;
            if (c is '\r' or '\n' or '\x85' or '\u2028' or '\u2029')
            {
                line++;
                lineStart = i + 1;
            }
        }
        return new SourceLocation(line, Math.Max(1, index - lineStart + 1));
    }
}
