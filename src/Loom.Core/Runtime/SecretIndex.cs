using System.Buffers;
using System.Text;

namespace Loom.Core.Runtime;

/// <summary>
/// An immutable multi-string search over all secret forms: one vectorised <see cref="SearchValues{T}"/>
/// scan per line instead of one search per secret, and a per-first-character table to find the longest
/// form at each hit.
/// </summary>
internal sealed class SecretIndex
{
    private readonly SearchValues<string> anyForm;
    private readonly Dictionary<char, string[]> longestFirstByStart;

    public SecretIndex(IReadOnlyCollection<string> forms)
    {
        anyForm = SearchValues.Create(forms.ToArray(), StringComparison.Ordinal);
        longestFirstByStart = forms
            .GroupBy(f => f[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(f => f.Length).ToArray());
    }

    public string Mask(string line)
    {
        var start = NextHit(line, 0);
        if (start < 0)
            return line;

        var masked = new StringBuilder(line.Length);
        var copied = 0;
        while (start >= 0)
        {
            // Every hit that starts inside or right after the current range extends it, so a form that
            // overlaps a longer one can never leave a piece of the longer one visible.
            var end = start + LongestAt(line, start);
            var next = NextHit(line, start + 1);
            while (next >= 0 && next <= end)
            {
                end = Math.Max(end, next + LongestAt(line, next));
                next = NextHit(line, next + 1);
            }
            masked.Append(line, copied, start - copied).Append(SecretMasker.Replacement);
            copied = end;
            start = next;
        }
        return masked.Append(line, copied, line.Length - copied).ToString();
    }

    private int NextHit(string line, int from)
    {
        if (from >= line.Length)
            return -1;
        var hit = line.AsSpan(from).IndexOfAny(anyForm);
        return hit < 0 ? -1 : from + hit;
    }

    private int LongestAt(string line, int position)
    {
        var rest = line.AsSpan(position);
        foreach (var form in longestFirstByStart[line[position]])
        {
            if (rest.StartsWith(form, StringComparison.Ordinal))
                return form.Length;
        }
        throw new InvalidOperationException("SearchValues reported a hit that no form starts.");
    }
}
