using System.Text.RegularExpressions;

namespace Loom.Core.Watching;

/// <summary>One line of a .gitignore file, parsed as gitignore(5) describes it.</summary>
internal sealed class IgnorePattern
{
    private readonly Regex regex;

    private IgnorePattern(Regex regex, bool isNegation, bool directoriesOnly, bool matchesName)
    {
        this.regex = regex;
        IsNegation = isNegation;
        DirectoriesOnly = directoriesOnly;
        MatchesName = matchesName;
    }

    /// <summary><c>!pattern</c>: a match re-includes the path.</summary>
    public bool IsNegation { get; }

    /// <summary>A trailing '/': matches directories only.</summary>
    public bool DirectoriesOnly { get; }

    /// <summary>No '/' but a trailing one: matched against the name at any depth, not the path.</summary>
    public bool MatchesName { get; }

    /// <param name="pathInBase">The path relative to the folder of the .gitignore that holds the pattern.</param>
    public bool Matches(string pathInBase, bool isDirectory)
    {
        if (DirectoriesOnly && !isDirectory)
            return false;
        var subject = MatchesName ? pathInBase[(pathInBase.LastIndexOf('/') + 1)..] : pathInBase;
        return regex.IsMatch(subject);
    }

    /// <summary>The pattern of one line; null for a blank line, a comment, or a pattern git rejects (it matches nothing).</summary>
    public static IgnorePattern? Parse(string line)
    {
        var text = TrimTrailingSpaces(line);
        if (text.Length == 0 || text[0] == '#')
            return null;
        var isNegation = text[0] == '!';
        if (isNegation)
            text = text[1..];
        var directoriesOnly = text.EndsWith('/');
        if (directoriesOnly)
            text = text[..^1];
        if (text.Length == 0)
            return null;
        var matchesName = !text.Contains('/');
        if (text[0] == '/')
            text = text[1..]; // anchored to the .gitignore's folder, which paths are already relative to
        if (GitWildmatch.ToRegex(text) is not { } body)
            return null;
        var regex = new Regex($"^{body}$", RegexOptions.NonBacktracking | RegexOptions.CultureInvariant | RegexOptions.Singleline);
        return new IgnorePattern(regex, isNegation, directoriesOnly, matchesName);
    }

    /// <summary>Trailing spaces are dropped unless quoted with a backslash (<c>name\ </c>), as git does.</summary>
    private static string TrimTrailingSpaces(string line)
    {
        var end = line.Length;
        var lastKept = -1;
        for (var i = 0; i < end; i++)
        {
            if (line[i] == '\\' && i + 1 < end)
                lastKept = ++i;
            else if (line[i] != ' ')
                lastKept = i;
        }
        return line[..(lastKept + 1)];
    }
}
