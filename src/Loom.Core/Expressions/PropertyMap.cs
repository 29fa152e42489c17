namespace Loom.Core.Expressions;

/// <summary>
/// The properties of an object value: insertion order kept, keys case-insensitive (a later duplicate replaces the
/// value but keeps the first position). Small objects are scanned linearly so building thousands of them stays cheap.
/// </summary>
internal sealed class PropertyMap
{
    private const int IndexThreshold = 8;

    private readonly KeyValuePair<string, ExpressionValue>[] entries;
    private readonly Dictionary<string, int>? index;

    public PropertyMap(IEnumerable<KeyValuePair<string, ExpressionValue>> properties)
    {
        var list = new List<KeyValuePair<string, ExpressionValue>>();
        Dictionary<string, int>? positions = null;
        foreach (var (key, value) in properties)
        {
            ArgumentNullException.ThrowIfNull(key);
            ArgumentNullException.ThrowIfNull(value);
            var existing = positions is null ? LinearFind(list, key) : positions.GetValueOrDefault(key, -1);
            if (existing >= 0)
            {
                list[existing] = new(list[existing].Key, value);
                continue;
            }
            list.Add(new(key, value));
            if (positions is null && list.Count > IndexThreshold)
            {
                positions = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
                for (var i = 0; i < list.Count; i++)
                    positions[list[i].Key] = i;
            }
            else if (positions is not null)
            {
                positions[key] = list.Count - 1;
            }
        }
        entries = list.ToArray();
        index = positions;
    }

    public IReadOnlyList<KeyValuePair<string, ExpressionValue>> Entries => entries;

    public bool TryGet(string key, out ExpressionValue value)
    {
        var position = index is null ? LinearFind(entries, key) : index.GetValueOrDefault(key, -1);
        value = position >= 0 ? entries[position].Value : ExpressionValue.Null;
        return position >= 0;
    }

    private static int LinearFind(IReadOnlyList<KeyValuePair<string, ExpressionValue>> list, string key)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (string.Equals(list[i].Key, key, StringComparison.OrdinalIgnoreCase))
                return i;
        }
        return -1;
    }
}
