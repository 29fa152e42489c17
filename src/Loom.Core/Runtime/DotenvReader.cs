using System.Text;
using Loom.Core.Diagnostics;

namespace Loom.Core.Runtime;

/// <summary>The variables of a dotenv file, in file order (a repeated name keeps its last value), and every problem found.</summary>
public sealed record DotenvResult(IReadOnlyDictionary<string, string> Values, IReadOnlyList<Diagnostic> Errors);

/// <summary>
/// Reads <c>--secrets-file</c> and <c>--vars-file</c>: <c>NAME=VALUE</c> lines, optionally prefixed with
/// <c>export </c>; <c>#</c> comments and blank lines. Names match <c>[A-Za-z_][A-Za-z0-9_]*</c>. An unquoted
/// value runs to the end of the line, is trimmed, and ends before a <c>#</c> that follows whitespace.
/// <c>'single'</c> quotes are literal; <c>"double"</c> quotes understand <c>\n \r \t \" \\</c> (any other
/// backslash stays as written) and both may span lines. No <c>$VAR</c> expansion: a secret is taken as written.
/// Errors are reported as <c>file:line:col: error: message</c>, all of them, not only the first.
/// </summary>
public static class DotenvReader
{
    public static DotenvResult ReadFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new DotenvResult(new Dictionary<string, string>(), [new Diagnostic(path, SourceLocation.Start, $"cannot read the file: {e.Message}")]);
        }
        return Parse(path, text);
    }

    public static DotenvResult Parse(string file, string text)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var errors = new List<Diagnostic>();
        var cursor = new TextCursor(text);
        while (!cursor.AtEnd)
        {
            var error = ReadEntry(cursor, values);
            if (error is { } problem)
            {
                errors.Add(new Diagnostic(file, problem.At, problem.Message));
                cursor.SkipRestOfLine();
            }
        }
        return new DotenvResult(values, errors);
    }

    /// <summary>Reads one line (or one multi-line quoted entry), leaving the cursor at the next line.</summary>
    private static Problem? ReadEntry(TextCursor cursor, Dictionary<string, string> values)
    {
        cursor.SkipBlanks();
        if (cursor.AtLineEnd || cursor.Current == '#')
        {
            cursor.SkipRestOfLine();
            return null;
        }

        var nameAt = cursor.Location;
        var name = cursor.ReadName();
        if (name == "export" && cursor.Current is ' ' or '\t')
        {
            cursor.SkipBlanks();
            nameAt = cursor.Location;
            name = cursor.ReadName();
        }
        if (name.Length == 0 || char.IsAsciiDigit(name[0]))
            return new Problem(nameAt, "expected a variable name (letters, digits and '_', not starting with a digit)");
        if (!cursor.AtLineEnd && cursor.Current is not (' ' or '\t' or '='))
            return new Problem(cursor.Location, $"'{cursor.Current}' cannot appear in a variable name");

        cursor.SkipBlanks();
        if (cursor.Current != '=')
            return new Problem(cursor.Location, $"expected '=' after '{name}'");
        cursor.Advance();
        cursor.SkipBlanks();

        var quoteAt = cursor.Location;
        var quote = cursor.Current;
        if (quote is not ('\'' or '"'))
        {
            values[name] = cursor.ReadUnquoted();
            return null;
        }
        cursor.Advance();
        var value = cursor.ReadQuoted(quote);
        if (value is null)
            return new Problem(quoteAt, $"the {(quote == '"' ? "double" : "single")} quote that opens the value of '{name}' is never closed");
        values[name] = value;

        cursor.SkipBlanks();
        if (!cursor.AtLineEnd && cursor.Current != '#')
            return new Problem(cursor.Location, $"unexpected text after the closing quote of '{name}'");
        cursor.SkipRestOfLine();
        return null;
    }

    private readonly record struct Problem(SourceLocation At, string Message);

    /// <summary>A position in the text that keeps its 1-based line and column as it moves.</summary>
    private sealed class TextCursor(string text)
    {
        private int position;
        private int line = 1;
        private int lineStart;

        public bool AtEnd => position >= text.Length;
        public char Current => AtEnd ? '\0' : text[position];
        public bool AtLineEnd => AtEnd || Current == '\n' || (Current == '\r' && Peek(1) == '\n');
        public SourceLocation Location => new(line, position - lineStart + 1);

        public void Advance()
        {
            if (Current == '\n')
            {
                line++;
                lineStart = position + 1;
            }
            position++;
        }

        public void SkipBlanks()
        {
            while (Current is ' ' or '\t')
                Advance();
        }

        public void SkipRestOfLine()
        {
            while (!AtEnd && Current != '\n')
                Advance();
            if (!AtEnd)
                Advance();
        }

        public string ReadName()
        {
            var start = position;
            while (char.IsAsciiLetterOrDigit(Current) || Current == '_')
                Advance();
            return text[start..position];
        }

        public string ReadUnquoted()
        {
            var start = position;
            var end = position;
            while (!AtLineEnd && !(Current == '#' && position > start && text[position - 1] is ' ' or '\t'))
            {
                Advance();
                end = position;
            }
            SkipRestOfLine();
            return text[start..end].Trim();
        }

        /// <summary>The value up to the closing quote (the cursor then stands after it), or null at the end of the text.</summary>
        public string? ReadQuoted(char quote)
        {
            var value = new StringBuilder();
            while (!AtEnd)
            {
                var c = Current;
                Advance();
                if (c == quote)
                    return value.ToString();
                if (c == '\r' && Current == '\n')
                    continue;
                if (c == '\\' && quote == '"' && Escaped(Current) is { } escaped)
                {
                    value.Append(escaped);
                    Advance();
                    continue;
                }
                value.Append(c);
            }
            return null;
        }

        private static char? Escaped(char c) => c switch
        {
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            '"' => '"',
            '\\' => '\\',
            _ => null,
        };

        private char Peek(int ahead) => position + ahead < text.Length ? text[position + ahead] : '\0';
    }
}
