namespace Loom.Core.Expressions;

/// <summary>A node of a parsed expression, spanning <c>[Offset, Offset + Length)</c> of the parsed text.</summary>
internal abstract record ExpressionNode(int Offset, int Length)
{
    /// <summary>This node and every node below it, without recursion.</summary>
    public IEnumerable<ExpressionNode> DescendantsAndSelf()
    {
        var pending = new Stack<ExpressionNode>();
        pending.Push(this);
        while (pending.Count > 0)
        {
            var node = pending.Pop();
            yield return node;
            foreach (var child in node.Children())
                pending.Push(child);
        }
    }

    private IEnumerable<ExpressionNode> Children() => this switch
    {
        PropertyNode p => [p.Target],
        IndexNode i => [i.Target, i.Index],
        WildcardNode w => [w.Target],
        NotNode n => [n.Operand],
        ComparisonNode c => [c.Left, c.Right],
        LogicalNode l => l.Operands,
        CallNode c => c.Arguments,
        _ => [],
    };
}

internal sealed record LiteralNode(int Offset, int Length, ExpressionValue Value) : ExpressionNode(Offset, Length);

/// <summary>A context name such as <c>env</c> or <c>github</c>.</summary>
internal sealed record ContextNode(int Offset, int Length, string Name) : ExpressionNode(Offset, Length);

/// <summary><c>target.name</c>; <see cref="NameOffset"/> is where the name starts.</summary>
internal sealed record PropertyNode(int Offset, int Length, ExpressionNode Target, string Name, int NameOffset)
    : ExpressionNode(Offset, Length);

/// <summary><c>target[index]</c>.</summary>
internal sealed record IndexNode(int Offset, int Length, ExpressionNode Target, ExpressionNode Index) : ExpressionNode(Offset, Length);

/// <summary>GitHub's object filter: <c>target.*</c> or <c>target[*]</c>.</summary>
internal sealed record WildcardNode(int Offset, int Length, ExpressionNode Target) : ExpressionNode(Offset, Length);

internal sealed record NotNode(int Offset, int Length, ExpressionNode Operand) : ExpressionNode(Offset, Length);

internal enum ComparisonOperator { Equal, NotEqual, Less, LessOrEqual, Greater, GreaterOrEqual }

internal sealed record ComparisonNode(int Offset, int Length, ComparisonOperator Operator, ExpressionNode Left, ExpressionNode Right)
    : ExpressionNode(Offset, Length);

/// <summary>A chain of <c>&amp;&amp;</c> or <c>||</c>; n-ary so that long chains do not deepen the tree.</summary>
internal sealed record LogicalNode(int Offset, int Length, bool IsAnd, IReadOnlyList<ExpressionNode> Operands)
    : ExpressionNode(Offset, Length);

internal sealed record CallNode(int Offset, int Length, string Name, IReadOnlyList<ExpressionNode> Arguments)
    : ExpressionNode(Offset, Length);
