using System.Text;
using System.Text.RegularExpressions;

namespace Loom.Core.Expressions;

/// <summary>
/// One <c>hashFiles</c> pattern, as @actions/glob reads it: relative to the workspace, <c>**</c> any number of folders,
/// <c>*</c> and <c>?</c> within one name (dot files included), <c>[abc]</c> classes, a leading <c>!</c> excludes, and
/// a pattern that names a folder matches everything under it. Matching uses a non-backtracking regex, so no
/// pattern can make it slow.
/// </summary>
internal sealed class GlobPattern
{
    private readonly Regex regex;

    private GlobPattern(Regex regex, bool isExclusion, string literalFolder)
    {
        this.regex = regex;
        IsExclusion = isExclusion;
        LiteralFolder = literalFolder;
    }

    public bool IsExclusion { get; }

    /// <summary>
    /// The folder every match lies under ('/'-separated, "" for the workspace): the leading segments before the first
    /// wildcard, less the last segment, which may name a file. A walk that starts there finds every match.
    /// </summary>
    public string LiteralFolder { get; }

    /// <summary>Whether <paramref name="relativePath"/> (with '/' separators) matches.</summary>
    public bool Matches(string relativePath) => regex.IsMatch(relativePath);

    /// <summary>The pattern, or null when it is blank or lies outside <paramref name="workspace"/> (it matches nothing).</summary>
    /// <exception cref="FormatException">The pattern has an invalid character class such as <c>[z-a]</c>.</exception>
    public static GlobPattern? Create(string pattern, string workspace)
    {
        var text = pattern.Trim();
        var isExclusion = text.StartsWith('!');
        if (isExclusion)
            text = text[1..].TrimStart();
        text = text.Replace('\\', '/');
        if (Path.IsPathRooted(text))
        {
            text = Path.GetRelativePath(workspace, text).Replace('\\', '/');
            if (text == ".." || text.StartsWith("../", StringComparison.Ordinal))
                return null;
        }
        var segments = text.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(s => s != ".").ToArray();
        if (segments.Length == 0)
            return null;
        try
        {
            var regex = new Regex(ToRegex(segments), RegexOptions.NonBacktracking | RegexOptions.CultureInvariant);
            var literal = segments[..^1].TakeWhile(s => s.IndexOfAny(['*', '?', '[']) < 0);
            return new GlobPattern(regex, isExclusion, string.Join('/', literal));
        }
        catch (ArgumentException e)
        {
            throw new FormatException($"invalid pattern '{pattern}': {e.Message}", e);
        }
    }

    private static string ToRegex(string[] segments)
    {
        var regex = new StringBuilder("^");
        for (var i = 0; i < segments.Length; i++)
        {
            var last = i == segments.Length - 1;
            if (segments[i] == "**")
            {
                // Zero or more whole folders; a trailing ** also takes the files below.
                regex.Append(last ? ".*" : "(?:[^/]+/)*");
                continue;
            }
            AppendSegment(regex, segments[i]);
            if (!last)
                regex.Append('/');
        }
        // A match on a folder takes everything under it.
        regex.Append("(?:/.*)?$");
        return regex.ToString();
    }

    private static void AppendSegment(StringBuilder regex, string segment)
    {
        for (var i = 0; i < segment.Length; i++)
        {
            var c = segment[i];
            if (c == '*')
            {
                regex.Append("[^/]*");
            }
            else if (c == '?')
            {
                regex.Append("[^/]");
            }
            else if (c == '[' && TryClass(segment, i, out var cls, out var close))
            {
                regex.Append(cls);
                i = close;
            }
            else
            {
                regex.Append(Regex.Escape(c.ToString()));
            }
        }
    }

    /// <summary>A <c>[...]</c> class (with <c>!</c> or <c>^</c> negation and ranges); an unclosed '[' is a literal.</summary>
    private static bool TryClass(string segment, int open, out string cls, out int close)
    {
        close = segment.IndexOf(']', open + 2);
        cls = "";
        if (close < 0)
            return false;
        var body = segment[(open + 1)..close];
        var negated = body[0] is '!' or '^';
        if (negated)
            body = body[1..];
        var escaped = new StringBuilder();
        foreach (var c in body)
            escaped.Append(c == '-' ? "-" : Regex.Escape(c.ToString()).Replace("]", "\\]"));
        cls = $"[{(negated ? "^/" : "")}{escaped}]";
        return escaped.Length > 0;
    }
}
