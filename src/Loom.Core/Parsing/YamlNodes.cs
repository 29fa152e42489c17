using Loom.Core.Diagnostics;

namespace Loom.Core.Parsing;

/// <summary>
/// A node of the YAML tree with where it starts. An alias is the anchored node itself (not a copy),
/// so a node can have several parents.
/// </summary>
internal abstract record YamlNode(SourceLocation Location)
{
    /// <summary>How many nodes a walk of this subtree visits, aliased subtrees counted in full.</summary>
    public abstract long Size { get; }
}

/// <summary>A scalar as written: plain scalars can be null, booleans or numbers; quoted ones are always text.</summary>
internal sealed record ScalarNode(SourceLocation Location, string Value, bool IsPlain, bool IsSingleLine) : YamlNode(Location)
{
    public override long Size => 1;

    public bool IsNull => IsPlain && Value is "" or "~" or "null" or "Null" or "NULL";

    public bool HasExpression => Value.Contains("${{", StringComparison.Ordinal);
}

internal sealed record SequenceNode(SourceLocation Location, YamlNode[] Items, long TreeSize) : YamlNode(Location)
{
    public override long Size => TreeSize;
}

/// <summary>A mapping with its keys in file order; duplicate and non-scalar keys were rejected while building.</summary>
internal sealed record MappingNode(SourceLocation Location, MappingEntry[] Entries, long TreeSize) : YamlNode(Location)
{
    public override long Size => TreeSize;

    /// <summary>The value under <paramref name="key"/>; null when absent or YAML null.</summary>
    public YamlNode? this[string key]
    {
        get
        {
            foreach (var entry in Entries)
            {
                if (entry.Key.Value == key)
                    return entry.Value is ScalarNode { IsNull: true } ? null : entry.Value;
            }
            return null;
        }
    }
}

/// <summary>
/// A mapping key as text and position. Keys are about half of a workflow's scalars and no key is ever null,
/// a number or an anchor target, so they need no node: fewer objects for the GC to trace in a big file.
/// </summary>
internal readonly record struct YamlKey(string Value, SourceLocation Location);

internal readonly record struct MappingEntry(YamlKey Key, YamlNode Value);

internal static class YamlTree
{
    /// <summary>Every scalar value below <paramref name="root"/> (keys aside), without recursion; the tree builder capped the nodes a walk can reach.</summary>
    public static IEnumerable<ScalarNode> Scalars(this YamlNode root)
    {
        var pending = new Stack<YamlNode>();
        pending.Push(root);
        while (pending.TryPop(out var node))
        {
            switch (node)
            {
                case ScalarNode scalar:
                    yield return scalar;
                    break;
                case SequenceNode list:
                    foreach (var item in list.Items)
                        pending.Push(item);
                    break;
                case MappingNode map:
                    foreach (var entry in map.Entries)
                        pending.Push(entry.Value);
                    break;
            }
        }
    }
}
