namespace Loom.Core.Runtime;

/// <summary>A problem in a <c>$LOOM_OUTPUT</c> or <c>$LOOM_ENV</c> file, at a 1-based line.</summary>
public sealed record FileCommandError(int Line, string Message)
{
    public override string ToString() => $"line {Line}: {Message}";
}

/// <summary>The pairs read in file order (a later pair of the same name wins when applied), and the
/// error that stopped reading, if any: as in the runner, the pairs before it still count.</summary>
public sealed record FileCommandResult(IReadOnlyList<KeyValuePair<string, string>> Pairs, FileCommandError? Error);

/// <summary>
/// Parses the <c>$LOOM_OUTPUT</c> / <c>$LOOM_ENV</c> format of GitHub's runner (EnvFileKeyValuePairs):
/// <c>name=value</c> lines, where the value is everything after the first <c>=</c>, and
/// <c>name&lt;&lt;DELIMITER</c> blocks whose value is the lines up to a line equal to the delimiter,
/// without the last line break. Whichever of <c>=</c> and <c>&lt;&lt;</c> comes first decides the form;
/// names are not trimmed; empty lines are skipped.
/// Unlike the runner on Linux, CRLF ends a line too (as the runner does on Windows), so a file written by
/// a Windows tool works; a block's value keeps its inner line breaks as written. Unlike the runner, an
/// empty name before <c>=</c> is an error (the runner's check for it tests the wrong variable).
/// Loom does not block <c>NODE_OPTIONS</c> in <c>$LOOM_ENV</c> as the runner does: that guards the
/// runner's own node-based actions, and Loom runs no node of its own.
/// </summary>
public static class FileCommandParser
{
    public static FileCommandResult Parse(string text)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        var lines = new LineCursor(text);
        while (lines.Next() is { } line)
        {
            if (line.Length == 0)
                continue;
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            var heredoc = line.IndexOf("<<", StringComparison.Ordinal);
            var error = equals < 0 && heredoc < 0
                ? new FileCommandError(lines.LineNumber, "expected 'name=value' or 'name<<DELIMITER'")
                : equals >= 0 && (heredoc < 0 || equals < heredoc)
                    ? Single(line, equals, lines.LineNumber, pairs)
                    : Block(line, heredoc, lines, pairs);
            if (error is not null)
                return new FileCommandResult(pairs, error);
        }
        return new FileCommandResult(pairs, null);
    }

    private static FileCommandError? Single(string line, int equals, int lineNumber, List<KeyValuePair<string, string>> pairs)
    {
        if (equals == 0)
            return new FileCommandError(lineNumber, "the name before '=' is empty");
        pairs.Add(new(line[..equals], line[(equals + 1)..]));
        return null;
    }

    private static FileCommandError? Block(string line, int heredoc, LineCursor lines, List<KeyValuePair<string, string>> pairs)
    {
        var name = line[..heredoc];
        var delimiter = line[(heredoc + 2)..];
        var start = lines.LineNumber;
        if (name.Length == 0)
            return new FileCommandError(start, "the name before '<<' is empty");
        if (delimiter.Length == 0)
            return new FileCommandError(start, $"the delimiter after '{name}<<' is empty");

        var valueStart = lines.Offset;
        var valueEnd = valueStart;
        while (lines.Next() is { } valueLine)
        {
            if (valueLine == delimiter)
            {
                pairs.Add(new(name, lines.Text[valueStart..valueEnd]));
                return null;
            }
            valueEnd = lines.Offset - lines.LastBreakLength;
        }
        return new FileCommandError(start, $"no line '{delimiter}' ends the value of '{name}' started here");
    }

    /// <summary>Walks the lines of a text, remembering where each ends so a block keeps its raw line breaks.</summary>
    private sealed class LineCursor(string text)
    {
        public string Text { get; } = text;
        public int Offset { get; private set; }
        public int LineNumber { get; private set; }
        public int LastBreakLength { get; private set; }

        public string? Next()
        {
            if (Offset >= Text.Length)
                return null;
            LineNumber++;
            var start = Offset;
            var lf = Text.IndexOf('\n', start);
            var end = lf < 0 ? Text.Length : lf;
            var contentEnd = end > start && Text[end - 1] == '\r' && lf >= 0 ? end - 1 : end;
            LastBreakLength = lf < 0 ? 0 : end + 1 - contentEnd;
            Offset = lf < 0 ? Text.Length : lf + 1;
            return Text[start..contentEnd];
        }
    }
}
