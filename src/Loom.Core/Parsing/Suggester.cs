namespace Loom.Core.Parsing;

/// <summary>
/// "Did you mean" by Levenshtein distance of at most 2. Comparisons are paid from a budget shared by one
/// load, so a file with thousands of unknown needs among 100 000 jobs stays fast: once spent, no hints.
/// </summary>
internal sealed class Suggester
{
    private const int MaxDistance = 2;
    private long budget = 20_000_000;

    public string? Closest(string word, IEnumerable<string> candidates, bool ignoreCase = false)
    {
        string? best = null;
        var bestDistance = MaxDistance + 1;
        foreach (var candidate in candidates)
        {
            if (Math.Abs(candidate.Length - word.Length) > MaxDistance || candidate == word)
                continue;
            var cost = (long)(word.Length + 1) * (candidate.Length + 1);
            if (cost > budget)
                return best;
            budget -= cost;
            var distance = Distance(word, candidate, ignoreCase);
            // A distance as long as the word itself is a different word, not a typo ('ab' is not 'if').
            if (distance < bestDistance && distance < word.Length)
            {
                best = candidate;
                bestDistance = distance;
            }
        }
        return best;
    }

    private static int Distance(string a, string b, bool ignoreCase)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
            previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var same = ignoreCase ? char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) : a[i - 1] == b[j - 1];
                current[j] = Math.Min(Math.Min(current[j - 1], previous[j]) + 1, previous[j - 1] + (same ? 0 : 1));
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
