namespace Loom.Core.Expressions;

/// <summary>
/// Recursive descent with GitHub's precedence, loosest first: <c>||</c>, <c>&amp;&amp;</c>, <c>== !=</c>,
/// <c>&lt; &lt;= &gt; &gt;=</c>, <c>!</c>, then <c>. [ ]</c> after a context, call or group. Every level of nesting
/// counts against <see cref="ExpressionLimits.MaxDepth"/>, so neither parsing nor evaluating can overflow the stack.
/// </summary>
internal sealed class ExpressionParser
{
    private readonly List<Token> tokens;
    private int next;
    private int depth;

    private ExpressionParser(List<Token> tokens) => this.tokens = tokens;

    /// <summary>Parses <c>source[start..end)</c>; offsets in nodes and errors are positions in <paramref name="source"/>.</summary>
    public static ExpressionNode Parse(string source, int start, int end)
    {
        if (end - start > ExpressionLimits.MaxLength)
            throw new ExpressionSyntaxException($"expression is longer than {ExpressionLimits.MaxLength} characters", start);
        var parser = new ExpressionParser(new ExpressionLexer(source, start, end).Tokenize());
        if (parser.Peek.Kind == TokenKind.End)
            throw new ExpressionSyntaxException("empty expression", end);
        var root = parser.ParseExpression();
        if (parser.Peek.Kind != TokenKind.End)
            throw Unexpected(parser.Peek);
        return root;
    }

    private Token Peek => tokens[next];

    private ExpressionNode ParseExpression()
    {
        Enter();
        var result = ParseLogical(isAnd: false);
        depth--;
        return result;
    }

    private ExpressionNode ParseLogical(bool isAnd)
    {
        var op = isAnd ? TokenKind.And : TokenKind.Or;
        var first = isAnd ? ParseEquality() : ParseLogical(isAnd: true);
        if (Peek.Kind != op)
            return first;
        var operands = new List<ExpressionNode> { first };
        while (TryTake(op))
            operands.Add(isAnd ? ParseEquality() : ParseLogical(isAnd: true));
        return new LogicalNode(first.Offset, operands[^1].Offset + operands[^1].Length - first.Offset, isAnd, operands);
    }

    private ExpressionNode ParseEquality() => ParseComparisonChain(equality: true);

    private ExpressionNode ParseComparisonChain(bool equality)
    {
        var left = equality ? ParseComparisonChain(equality: false) : ParseUnary();
        var entered = 0;
        while (ComparisonOf(Peek.Kind, equality) is { } op)
        {
            // Each operator in a chain deepens the (left-leaning) tree by one.
            Enter();
            entered++;
            next++;
            var right = equality ? ParseComparisonChain(equality: false) : ParseUnary();
            left = new ComparisonNode(left.Offset, right.Offset + right.Length - left.Offset, op, left, right);
        }
        depth -= entered;
        return left;
    }

    private static ComparisonOperator? ComparisonOf(TokenKind kind, bool equality) => (kind, equality) switch
    {
        (TokenKind.Equal, true) => ComparisonOperator.Equal,
        (TokenKind.NotEqual, true) => ComparisonOperator.NotEqual,
        (TokenKind.Less, false) => ComparisonOperator.Less,
        (TokenKind.LessOrEqual, false) => ComparisonOperator.LessOrEqual,
        (TokenKind.Greater, false) => ComparisonOperator.Greater,
        (TokenKind.GreaterOrEqual, false) => ComparisonOperator.GreaterOrEqual,
        _ => null,
    };

    private ExpressionNode ParseUnary()
    {
        if (Peek.Kind != TokenKind.Bang)
            return ParsePostfix();
        var bang = tokens[next++];
        Enter();
        var operand = ParseUnary();
        depth--;
        return new NotNode(bang.Offset, operand.Offset + operand.Length - bang.Offset, operand);
    }

    private ExpressionNode ParsePostfix()
    {
        var target = ParsePrimary(out var canDereference);
        if (!canDereference)
            return target;
        var entered = 0;
        while (Peek.Kind is TokenKind.Dot or TokenKind.LeftBracket)
        {
            Enter();
            entered++;
            target = tokens[next++].Kind == TokenKind.Dot ? ParseMember(target) : ParseIndex(target);
        }
        depth -= entered;
        return target;
    }

    private ExpressionNode ParseMember(ExpressionNode target)
    {
        var name = tokens[next++];
        return name.Kind switch
        {
            TokenKind.Star => new WildcardNode(target.Offset, name.End - target.Offset, target),
            TokenKind.Identifier => new PropertyNode(target.Offset, name.End - target.Offset, target, name.Text, name.Offset),
            _ => throw new ExpressionSyntaxException($"expected a property name after '.', found {name.Describe()}", name.Offset),
        };
    }

    private ExpressionNode ParseIndex(ExpressionNode target)
    {
        ExpressionNode? index = null;
        if (Peek.Kind == TokenKind.Star)
            next++;
        else
            index = ParseExpression();
        var close = Expect(TokenKind.RightBracket, "expected ']' after index");
        var length = close.End - target.Offset;
        return index is null ? new WildcardNode(target.Offset, length, target) : new IndexNode(target.Offset, length, target, index);
    }

    /// <summary>Literals, contexts, calls and groups; only the last three may be dereferenced, as in GitHub.</summary>
    private ExpressionNode ParsePrimary(out bool canDereference)
    {
        var token = tokens[next];
        canDereference = true;
        switch (token.Kind)
        {
            case TokenKind.Number or TokenKind.String or TokenKind.True or TokenKind.False or TokenKind.Null:
                next++;
                canDereference = false;
                return new LiteralNode(token.Offset, token.Length, token.Value!);
            case TokenKind.Identifier:
                next++;
                return TryTake(TokenKind.LeftParen) ? ParseCall(token) : new ContextNode(token.Offset, token.Length, token.Text);
            case TokenKind.LeftParen:
                next++;
                var inner = ParseExpression();
                Expect(TokenKind.RightParen, "expected ')'");
                return inner;
            default:
                throw Unexpected(token);
        }
    }

    private CallNode ParseCall(Token name)
    {
        var arguments = new List<ExpressionNode>();
        if (Peek.Kind != TokenKind.RightParen)
        {
            do
                arguments.Add(ParseExpression());
            while (TryTake(TokenKind.Comma));
        }
        var close = Expect(TokenKind.RightParen, "expected ')' after arguments");
        return new CallNode(name.Offset, close.End - name.Offset, name.Text, arguments);
    }

    private void Enter()
    {
        if (++depth > ExpressionLimits.MaxDepth)
            throw new ExpressionSyntaxException($"expression nests deeper than {ExpressionLimits.MaxDepth} levels", Peek.Offset);
    }

    private bool TryTake(TokenKind kind)
    {
        if (Peek.Kind != kind)
            return false;
        next++;
        return true;
    }

    private Token Expect(TokenKind kind, string message)
    {
        var token = Peek;
        if (token.Kind != kind)
            throw new ExpressionSyntaxException(token.Kind == TokenKind.End ? message : $"{message}, found {token.Describe()}", token.Offset);
        next++;
        return token;
    }

    private static ExpressionSyntaxException Unexpected(Token token) =>
        new(token.Kind == TokenKind.End ? "unexpected end of expression" : $"unexpected {token.Describe()}", token.Offset);
}
