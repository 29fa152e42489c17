using System.Text;
using Loom.Core.Diagnostics;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Loom.Core.Parsing;

/// <summary>
/// Builds a <see cref="YamlNode"/> tree from YamlDotNet's parser events without recursion, enforcing the
/// depth, scalar and alias limits as it goes. Duplicate keys are reported and the first one kept; malformed
/// YAML and exceeded limits stop the build.
/// </summary>
internal sealed class YamlTreeBuilder
{
    private readonly ParseLimits limits;
    private readonly DiagnosticBag errors;
    private readonly Dictionary<string, YamlNode> anchors = new(StringComparer.Ordinal);
    private readonly Stack<Frame> open = new();
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
                return AcceptScalar(scalar);
            case AnchorAlias alias:
                return AcceptAlias(alias);
            case SequenceStart or MappingStart when open.Count >= limits.MaxDepth:
                return Fail(e, LimitMessages.TooDeep(limits));
            case SequenceStart start:
                open.Push(new Frame(ToLocation(start.Start), start.Anchor, isMapping: false));
                return true;
            case MappingStart start:
                open.Push(new Frame(ToLocation(start.Start), start.Anchor, isMapping: true));
                return true;
            case SequenceEnd or MappingEnd:
                var frame = open.Pop();
                Complete(frame.Anchor, frame.ToNode());
                return true;
            default:
                return true;
        }
    }

    private bool AcceptScalar(Scalar scalar)
    {
        if (IsTooLong(scalar.Value))
            return Fail(scalar, LimitMessages.ScalarTooLong(limits));
        var node = new ScalarNode(
            ToLocation(scalar.Start),
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
        if (open.Count == 0)
            root = node;
        else if (open.Peek().Add(node) is { } error)
            errors.Add(at, error);
    }

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

    /// <summary>A collection being built.</summary>
    private sealed class Frame(SourceLocation location, AnchorName anchor, bool isMapping)
    {
        private const int SmallMapping = 8;

        private readonly List<YamlNode>? items = isMapping ? null : [];
        private readonly List<MappingEntry>? entries = isMapping ? [] : null;
        private HashSet<string>? keys;
        private ScalarNode? key;
        private bool expectingValue;
        private bool dropValue;
        private long size = 1;

        public AnchorName Anchor { get; } = anchor;

        /// <summary>Adds a child; returns an error when it is a key that cannot be used.</summary>
        public string? Add(YamlNode node)
        {
            size = SaturatingAdd(size, node.Size);
            if (items is not null)
            {
                items.Add(node);
                return null;
            }
            if (expectingValue)
            {
                if (!dropValue)
                    entries!.Add(new MappingEntry(key!, node));
                expectingValue = false;
                return null;
            }
            expectingValue = true;
            key = node as ScalarNode;
            dropValue = key is null || !IsNewKey(key.Value);
            return key is null ? "a mapping key must be a scalar"
                : dropValue ? $"duplicate key {MessageText.Quote(key.Value)}"
                : null;
        }

        /// <summary>Most mappings hold a handful of keys: a scan beats a hash set per mapping; big ones (jobs) get the set.</summary>
        private bool IsNewKey(string name)
        {
            if (keys is null && entries!.Count >= SmallMapping)
                keys = new HashSet<string>(entries.Select(e => e.Key.Value), StringComparer.Ordinal);
            if (keys is not null)
                return keys.Add(name);
            foreach (var entry in entries!)
            {
                if (entry.Key.Value == name)
                    return false;
            }
            return true;
        }

        public YamlNode ToNode() => items is not null
            ? new SequenceNode(location, items, size)
            : new MappingNode(location, entries!, size);
    }
}
