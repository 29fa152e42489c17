using System.Text;
using Loom.Core.Diagnostics;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Loom.Core.Parsing;

/// <summary>
/// Builds a <see cref="YamlNode"/> tree from YamlDotNet's parser events without recursion, enforcing the
/// depth, scalar, node and alias limits as it goes. Duplicate keys are reported and the first one kept; malformed
/// YAML and exceeded limits stop the build.
/// </summary>
internal sealed class YamlTreeBuilder
{
    private static readonly HashSet<string> KnownKeys = new(
        [.. KeySet.Workflow.All, .. KeySet.Job.All, .. KeySet.Step.All, .. KeySet.Defaults.All, .. KeySet.DefaultsRun.All],
        StringComparer.Ordinal);

    private readonly ParseLimits limits;
    private readonly DiagnosticBag errors;
    private readonly Dictionary<string, YamlNode> anchors = new(StringComparer.Ordinal);

    // One frame per nesting level, reused by every collection at that level: a finished collection keeps only
    // its node and an exact-size array, which matters with millions of nodes.
    private readonly List<Frame> frames = [];
    private int depth;
    private long nodes;
    private long aliasNodes;
    private int documents;
    private YamlNode? root;

    private YamlTreeBuilder(ParseLimits limits, DiagnosticBag errors)
    {
        this.limits = limits;
        this.errors = errors;
    }

    /// <summary>False when the file could not be read as YAML at all; the reason is in <paramref name="errors"/>.</summary>
    public static bool TryBuild(ReadOnlyMemory<char> text, ParseLimits limits, DiagnosticBag errors, out YamlNode? root)
    {
        root = null;
        var builder = new YamlTreeBuilder(limits, errors);
        var reader = new TokenLimitedReader(text, limits.MaxScalarBytes);
        var scanner = new Scanner(reader, skipComments: true);
        var parser = new Parser(scanner);
        while (TryNext(parser, scanner, text, limits, errors, out var current))
        {
            if (current is null)
            {
                root = builder.root;
                return true;
            }
            reader.Passed(current.End.Index);
            if (!builder.Accept(current))
                return false;
        }
        return false;
    }

    /// <summary>The next event (null at the end), or false when YamlDotNet rejected the text or a token grew past the limit.</summary>
    private static bool TryNext(Parser parser, Scanner scanner, ReadOnlyMemory<char> text, ParseLimits limits, DiagnosticBag errors, out ParsingEvent? current)
    {
        current = null;
        try
        {
            if (parser.MoveNext())
                current = parser.Current;
            return true;
        }
        catch (YamlException e)
        {
            errors.Add(ToLocation(e.Start), YamlMessage(e.Message));
        }
        catch (ArgumentException e)
        {
            // YamlDotNet checks tag and anchor names with argument checks ("Global tags must be valid URIs.").
            var message = e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal);
            errors.Add(ToLocation(scanner.CurrentPosition), YamlMessage(message));
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet throws this, without a position, for some malformed input (a flow collection line indented too little).
            errors.Add(ToLocation(scanner.CurrentPosition), "invalid YAML: check the indentation and brackets here");
        }
        catch (TokenTooLongException e)
        {
            errors.Add(TextPositions.LocationOf(text.Span, e.Index), LimitMessages.ScalarTooLong(limits));
        }
        return false;
    }

    private bool Accept(ParsingEvent e)
    {
        switch (e)
        {
            case DocumentStart when ++documents > 1:
                return Fail(e, "a workflow file must hold a single YAML document");
            case Scalar scalar:
                return CountNode(e) && AcceptScalar(scalar);
            case AnchorAlias alias:
                return AcceptAlias(alias);
            case SequenceStart or MappingStart when depth >= limits.MaxDepth:
                return Fail(e, LimitMessages.TooDeep(limits));
            case SequenceStart start:
                return CountNode(e) && Open(start, start.Anchor, isMapping: false);
            case MappingStart start:
                return CountNode(e) && Open(start, start.Anchor, isMapping: true);
            case SequenceEnd or MappingEnd:
                var frame = frames[--depth];
                Complete(frame.Anchor, frame.ToNode());
                return true;
            default:
                return true;
        }
    }

    /// <summary>Counts a scalar or collection of the file itself; nodes reached through aliases are counted by <see cref="AcceptAlias"/>.</summary>
    private bool CountNode(ParsingEvent e) => ++nodes <= limits.MaxNodes || Fail(e, LimitMessages.TooManyNodes(limits));

    private bool Open(ParsingEvent start, AnchorName anchor, bool isMapping)
    {
        if (depth == frames.Count)
            frames.Add(new Frame());
        frames[depth++].Start(ToLocation(start.Start), anchor, isMapping);
        return true;
    }

    private bool AcceptScalar(Scalar scalar)
    {
        if (IsTooLong(scalar.Value))
            return Fail(scalar, LimitMessages.ScalarTooLong(limits));
        var location = ToLocation(scalar.Start);
        // An anchored key takes the node path below: an alias may use it later as a value.
        if (depth > 0 && frames[depth - 1].ExpectsKey && scalar.Anchor.IsEmpty)
        {
            if (frames[depth - 1].AddKey(new YamlKey(Intern(scalar.Value), location), 1) is { } error)
                errors.Add(location, error);
            return true;
        }
        var node = new ScalarNode(
            location,
            scalar.Value,
            scalar.Style is ScalarStyle.Plain or ScalarStyle.Any,
            scalar.Start.Line == scalar.End.Line);
        Complete(scalar.Anchor, node);
        return true;
    }

    /// <summary>An alias adds the anchored node's memoised size to the count, so nothing is expanded to count it.</summary>
    private bool AcceptAlias(AnchorAlias alias)
    {
        if (!anchors.TryGetValue(alias.Value.Value, out var target))
            return Fail(alias, $"alias '*{alias.Value.Value}' does not refer to an earlier anchor");
        aliasNodes = SaturatingAdd(aliasNodes, target.Size);
        if (aliasNodes > limits.MaxAliasNodes)
            return Fail(alias, LimitMessages.TooManyAliasNodes(limits));
        Attach(target, ToLocation(alias.Start));
        return true;
    }

    private void Complete(AnchorName anchor, YamlNode node)
    {
        if (!anchor.IsEmpty)
            anchors[anchor.Value] = node;
        Attach(node, node.Location);
    }

    /// <param name="at">Where the node is used: an alias's own position, not its anchor's.</param>
    private void Attach(YamlNode node, SourceLocation at)
    {
        if (depth == 0)
            root = node;
        else if (frames[depth - 1].Add(node, at) is { } error)
            errors.Add(at, error);
    }

    /// <summary>Known keys repeat in every job and step: they share one string instead of keeping one per occurrence.</summary>
    private static string Intern(string key) => KnownKeys.TryGetValue(key, out var known) ? known : key;

    private bool IsTooLong(string value) =>
        value.Length > limits.MaxScalarBytes
        || (value.Length * 3L > limits.MaxScalarBytes && Encoding.UTF8.GetByteCount(value) > limits.MaxScalarBytes);

    private bool Fail(ParsingEvent e, string message)
    {
        errors.Add(ToLocation(e.Start), message);
        return false;
    }

    /// <summary>Sizes grow exponentially through nested aliases; with the limit raised to the maximum they must not wrap.</summary>
    private static long SaturatingAdd(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;

    private static SourceLocation ToLocation(Mark mark) =>
        new((int)Math.Clamp(mark.Line, 1, int.MaxValue), (int)Math.Clamp(mark.Column, 1, int.MaxValue));

    /// <summary>YamlDotNet writes sentences ("While parsing ..., did not find expected key."); ours are lower-case clauses.</summary>
    private static string YamlMessage(string message)
    {
        var text = message.Trim().TrimEnd('.');
        return text.Length == 0 ? "invalid YAML" : char.ToLowerInvariant(text[0]) + text[1..];
    }

    /// <summary>A collection being built; reused for the next collection at the same level once <see cref="ToNode"/> hands it over.</summary>
    private sealed class Frame
    {
        private const int SmallMapping = 8;

        private readonly List<YamlNode> items = [];
        private readonly List<MappingEntry> entries = [];
        private HashSet<string>? keys;
        private SourceLocation location;
        private bool isMapping;
        private YamlKey key;
        private bool expectingValue;
        private bool dropValue;
        private long size;

        public AnchorName Anchor { get; private set; }

        public bool ExpectsKey => isMapping && !expectingValue;

        public void Start(SourceLocation at, AnchorName anchor, bool mapping)
        {
            location = at;
            Anchor = anchor;
            isMapping = mapping;
            expectingValue = false;
            size = 1;
        }

        /// <summary>Adds a key; returns an error when it repeats an earlier one (its value is then dropped).</summary>
        /// <param name="nodes">What the key adds to the size: 1, or an aliased scalar's size.</param>
        public string? AddKey(YamlKey name, long nodes)
        {
            size = SaturatingAdd(size, nodes);
            expectingValue = true;
            key = name;
            dropValue = !IsNewKey(name.Value);
            return dropValue ? $"duplicate key {MessageText.Quote(name.Value)}" : null;
        }

        /// <summary>Adds an item or value, or a node used as a key; returns an error when that key cannot be used.</summary>
        /// <param name="at">Where the node is used: an alias's own position, not its anchor's.</param>
        public string? Add(YamlNode node, SourceLocation at)
        {
            if (ExpectsKey)
            {
                if (node is ScalarNode scalar)
                    return AddKey(new YamlKey(scalar.Value, at), node.Size);
                size = SaturatingAdd(size, node.Size);
                expectingValue = true;
                dropValue = true;
                return "a mapping key must be a scalar";
            }
            size = SaturatingAdd(size, node.Size);
            if (!isMapping)
                items.Add(node);
            else
            {
                if (!dropValue)
                    entries.Add(new MappingEntry(key, node));
                expectingValue = false;
            }
            return null;
        }

        /// <summary>Most mappings hold a handful of keys: a scan beats a hash set per mapping; big ones (jobs) get the set.</summary>
        private bool IsNewKey(string name)
        {
            if (keys is null && entries.Count >= SmallMapping)
            {
                keys = new HashSet<string>(entries.Count * 2, StringComparer.Ordinal);
                foreach (var entry in entries)
                    keys.Add(entry.Key.Value);
            }
            if (keys is not null)
                return keys.Add(name);
            foreach (var entry in entries)
            {
                if (entry.Key.Value == name)
                    return false;
            }
            return true;
        }

        public YamlNode ToNode()
        {
            YamlNode node = isMapping
                ? new MappingNode(location, entries.ToArray(), size)
                : new SequenceNode(location, items.ToArray(), size);
            items.Clear();
            entries.Clear();
            keys = null;
            return node;
        }
    }
}
