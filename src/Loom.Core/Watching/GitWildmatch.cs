using System.Globalization;
using System.Text;

namespace Loom.Core.Watching;

/// <summary>
/// Translates a pattern of git's <c>wildmatch</c> (with <c>WM_PATHNAME</c>, as .gitignore uses it) into a regex body:
/// <c>*</c>, <c>?</c> and <c>[...]</c> never match '/'; <c>**</c> between slashes (or at an end) matches across folders,
/// elsewhere it is a plain <c>*</c>; a backslash quotes the next character.
/// </summary>
internal static class GitWildmatch
{
    private const string Never = "[^\\s\\S]";

    /// <summary>The regex body, or null when git would reject the pattern (unclosed '[', unknown class, trailing '\').</summary>
    public static string? ToRegex(string pattern)
    {
        var regex = new StringBuilder();
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '\\':
                    if (++i == pattern.Length)
                        return null;
                    regex.Append(Literal(pattern[i]));
                    break;
                case '?':
                    regex.Append("[^/]");
                    break;
                case '*':
                    i = Stars(pattern, i, regex);
                    break;
                case '[':
                    if (Class(pattern, ref i) is not { } cls)
                        return null;
                    regex.Append(cls);
                    break;
                default:
                    regex.Append(Literal(c));
                    break;
            }
        }
        return regex.ToString();
    }

    /// <summary>Appends a run of stars starting at <paramref name="start"/>; returns the index of its last character consumed.</summary>
    private static int Stars(string pattern, int start, StringBuilder regex)
    {
        var end = start;
        while (end + 1 < pattern.Length && pattern[end + 1] == '*')
            end++;
        var atFolderStart = start == 0 || pattern[start - 1] == '/';
        var next = end + 1;
        if (end > start && atFolderStart && next == pattern.Length)
        {
            regex.Append(".*");
            return end;
        }
        if (end > start && atFolderStart && pattern[next] == '/')
        {
            regex.Append("(?:.*/)?"); // zero or more whole folders
            return next;
        }
        regex.Append("[^/]*");
        return end;
    }

    /// <summary>
    /// A bracket expression from the '[' at <paramref name="i"/>, left on its ']'. As in wildmatch the first member is
    /// taken before looking for ']' (so <c>[]a]</c> holds ']'), '!' or '^' negates, and a range upside down matches nothing.
    /// </summary>
    private static string? Class(string pattern, ref int i)
    {
        var ranges = new List<(char Low, char High)>();
        var p = i + 1;
        var negated = p < pattern.Length && pattern[p] is '!' or '^';
        if (negated)
            p++;
        var first = true;
        var canStartRange = false; // after a single character, not after a range or a named class
        for (; p < pattern.Length && (first || pattern[p] != ']'); p++, first = false)
        {
            var c = pattern[p];
            if (c == '\\')
            {
                if (++p == pattern.Length)
                    return null;
                ranges.Add((pattern[p], pattern[p]));
                canStartRange = true;
            }
            else if (c == '-' && canStartRange && p + 1 < pattern.Length && pattern[p + 1] != ']')
            {
                var high = pattern[++p];
                if (high == '\\')
                {
                    if (++p == pattern.Length)
                        return null;
                    high = pattern[p];
                }
                ranges[^1] = (ranges[^1].Low, high);
                canStartRange = false;
            }
            else if (c == '[' && p + 1 < pattern.Length && pattern[p + 1] == ':')
            {
                var close = pattern.IndexOf(']', p + 2);
                if (close < 0)
                    return null;
                if (close - 1 < p + 2 || pattern[close - 1] != ':')
                {
                    ranges.Add(('[', '['));
                    canStartRange = true;
                    continue;
                }
                if (NamedClass(pattern[(p + 2)..(close - 1)]) is not { } named)
                    return null;
                ranges.AddRange(named);
                p = close;
                canStartRange = false;
            }
            else
            {
                ranges.Add((c, c));
                canStartRange = true;
            }
        }
        if (p >= pattern.Length)
            return null;
        i = p;
        return Emit(ranges, negated);
    }

    private static string Emit(List<(char Low, char High)> ranges, bool negated)
    {
        var members = new StringBuilder();
        foreach (var (low, high) in ranges)
        {
            if (low > high)
                continue;
            // Never '/': split a range that spans it.
            if (low < '/' && high >= '/')
                members.Append(Range(low, '.'));
            if (high > '/' && low <= '/')
                members.Append(Range('0', high));
            if (low > '/' || high < '/')
                members.Append(Range(low, high));
        }
        if (negated)
            return $"[^/{members}]";
        return members.Length == 0 ? Never : $"[{members}]";
    }

    private static string Range(char low, char high) => low == high ? Escaped(low) : $"{Escaped(low)}-{Escaped(high)}";

    private static string Escaped(char c) => "\\u" + ((int)c).ToString("X4", CultureInfo.InvariantCulture);

    private static string Literal(char c) => c == '/' ? "/" : Escaped(c);

    /// <summary>POSIX classes wildmatch knows, in ASCII; an unknown name makes the whole pattern invalid.</summary>
    private static IEnumerable<(char, char)>? NamedClass(string name) => name switch
    {
        "alnum" => [('0', '9'), ('A', 'Z'), ('a', 'z')],
        "alpha" => [('A', 'Z'), ('a', 'z')],
        "blank" => [(' ', ' '), ('\t', '\t')],
        "cntrl" => [('\0', '\x1F'), ('\x7F', '\x7F')],
        "digit" => [('0', '9')],
        "graph" => [('!', '~')],
        "lower" => [('a', 'z')],
        "print" => [(' ', '~')],
        "punct" => [('!', '/'), (':', '@'), ('[', '`'), ('{', '~')],
        "space" => [(' ', ' '), ('\t', '\r')],
        "upper" => [('A', 'Z')],
        "xdigit" => [('0', '9'), ('A', 'F'), ('a', 'f')],
        _ => null,
    };
}
