namespace Loom.Core.Runtime;

/// <summary>
/// Replaces every registered secret, and the forms a step is likely to print it in, with <c>***</c>.
/// Thread-safe: adding builds a new immutable <see cref="SecretIndex"/>, masking reads the current one
/// without a lock, so many step outputs can be masked while a step registers <c>::add-mask::</c> values.
/// </summary>
public sealed class SecretMasker
{
    public const string Replacement = "***";

    private readonly Lock gate = new();
    private readonly HashSet<string> forms = new(StringComparer.Ordinal);
    private SecretIndex? index;

    /// <summary>True until the first value is added; masking is then a no-op.</summary>
    public bool IsEmpty => Volatile.Read(ref index) is null;

    /// <summary>Registers a value and its derived forms (see <see cref="SecretForms"/>); blank values are ignored.</summary>
    public void Add(string? value) => AddRange([value]);

    /// <summary>Registers many values with one rebuild of the search index.</summary>
    public void AddRange(IEnumerable<string?> values)
    {
        // Most jobs have no secrets: every runner starts with this call.
        if (values is IReadOnlyCollection<string?> { Count: 0 })
            return;
        var added = values.Where(v => !string.IsNullOrWhiteSpace(v)).SelectMany(v => SecretForms.Of(v!)).ToList();
        if (added.Count == 0)
            return;
        lock (gate)
        {
            var before = forms.Count;
            forms.UnionWith(added);
            if (forms.Count != before)
                Volatile.Write(ref index, new SecretIndex(forms));
        }
    }

    /// <summary>The line with every occurrence of a registered form replaced; overlapping and adjacent
    /// occurrences merge into one <c>***</c>, as GitHub's runner does.</summary>
    public string Mask(string line)
    {
        var current = Volatile.Read(ref index);
        return current is null || line.Length == 0 ? line : current.Mask(line);
    }
}
