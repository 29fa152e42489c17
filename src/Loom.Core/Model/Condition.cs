namespace Loom.Core.Model;

/// <summary>What the status functions see when an <c>if</c> is evaluated.</summary>
/// <param name="Succeeded">Every earlier step (for a step) or every need (for a job) succeeded.</param>
/// <param name="Failed">An earlier step, or an ancestor job, failed.</param>
/// <param name="Cancelled">The run was cancelled (or, for a step, its job timed out).</param>
public readonly record struct StatusContext(bool Succeeded, bool Failed, bool Cancelled);

/// <summary>
/// A parsed <c>if</c>. This issue's subset of spec §4: the four status functions, <c>!</c>,
/// <c>&amp;&amp;</c>, <c>||</c>, parentheses and <c>true</c>/<c>false</c>. An expression that calls
/// no status function is implicitly <c>success() &amp;&amp; (expr)</c>, as in GitHub.
/// </summary>
public sealed class Condition
{
    public static readonly Condition Default = new("success()", new Call(StatusFunction.Success));

    private readonly Node root;

    private Condition(string text, Node root)
    {
        Text = text;
        this.root = root;
    }

    /// <summary>The expression as written (without <c>${{ }}</c>).</summary>
    public string Text { get; }

    public bool UsesStatusFunction => root.UsesStatusFunction;

    public bool Evaluate(StatusContext context) =>
        UsesStatusFunction ? root.Evaluate(context) : context.Succeeded && !context.Cancelled && root.Evaluate(context);

    public override string ToString() => Text;

    /// <summary>Parses an <c>if</c> value; on failure returns null and an error with its 0-based offset in <paramref name="text"/>.</summary>
    public static Condition? TryParse(string text, out string? error, out int errorOffset)
    {
        var body = text.Trim();
        var start = text.IndexOf(body, StringComparison.Ordinal);
        if (body.StartsWith("${{", StringComparison.Ordinal) && body.EndsWith("}}", StringComparison.Ordinal))
        {
            start += 3;
            body = body[3..^2];
        }
        var parser = new Parser(body, start);
        try
        {
            var node = parser.ParseAll();
            error = null;
            errorOffset = 0;
            return new Condition(body.Trim(), node);
        }
        catch (ConditionSyntaxException e)
        {
            error = e.Message;
            errorOffset = e.Offset;
            return null;
        }
    }

    private enum StatusFunction { Success, Failure, Always, Cancelled }

    private abstract record Node
    {
        public abstract bool UsesStatusFunction { get; }
        public abstract bool Evaluate(StatusContext c);
    }

    private sealed record Call(StatusFunction Function) : Node
    {
        public override bool UsesStatusFunction => true;

        public override bool Evaluate(StatusContext c) => Function switch
        {
            StatusFunction.Success => c.Succeeded && !c.Cancelled,
            StatusFunction.Failure => c.Failed,
            StatusFunction.Cancelled => c.Cancelled,
            _ => true,
        };
    }

    private sealed record Literal(bool Value) : Node
    {
        public override bool UsesStatusFunction => false;
        public override bool Evaluate(StatusContext c) => Value;
    }

    private sealed record Not(Node Operand) : Node
    {
        public override bool UsesStatusFunction => Operand.UsesStatusFunction;
        public override bool Evaluate(StatusContext c) => !Operand.Evaluate(c);
    }

    private sealed record Binary(Node Left, bool IsAnd, Node Right) : Node
    {
        public override bool UsesStatusFunction => Left.UsesStatusFunction || Right.UsesStatusFunction;
        public override bool Evaluate(StatusContext c) =>
            IsAnd ? Left.Evaluate(c) && Right.Evaluate(c) : Left.Evaluate(c) || Right.Evaluate(c);
    }

    private sealed class ConditionSyntaxException(string message, int offset) : Exception(message)
    {
        public int Offset { get; } = offset;
    }

    /// <summary>Recursive descent over a tiny grammar; nesting is bounded so hostile input cannot overflow the stack.</summary>
    private sealed class Parser(string text, int baseOffset)
    {
        private const int MaxDepth = 64;
        private int pos;
        private int depth;

        public Node ParseAll()
        {
            SkipSpace();
            if (pos == text.Length)
                throw Error("empty expression");
            var node = ParseOr();
            SkipSpace();
            if (pos != text.Length)
                throw Error($"unexpected '{text[pos]}'");
            return node;
        }

        private Node ParseOr()
        {
            var left = ParseAnd();
            while (TryConsume("||"))
                left = new Binary(left, false, ParseAnd());
            return left;
        }

        private Node ParseAnd()
        {
            var left = ParseUnary();
            while (TryConsume("&&"))
                left = new Binary(left, true, ParseUnary());
            return left;
        }

        private Node ParseUnary()
        {
            if (++depth > MaxDepth)
                throw Error($"expression nests deeper than {MaxDepth}");
            try
            {
                SkipSpace();
                if (TryConsume("!"))
                    return new Not(ParseUnary());
                if (TryConsume("("))
                {
                    var inner = ParseOr();
                    if (!TryConsume(")"))
                        throw Error("expected ')'");
                    return inner;
                }
                return ParseAtom();
            }
            finally
            {
                depth--;
            }
        }

        private Node ParseAtom()
        {
            SkipSpace();
            var start = pos;
            while (pos < text.Length && (char.IsAsciiLetterOrDigit(text[pos]) || text[pos] is '_' or '-' or '.'))
                pos++;
            var word = text[start..pos];
            if (word.Length == 0)
                throw Error(pos < text.Length ? $"unexpected '{text[pos]}'" : "unexpected end of expression");
            if (word.Equals("true", StringComparison.OrdinalIgnoreCase))
                return new Literal(true);
            if (word.Equals("false", StringComparison.OrdinalIgnoreCase))
                return new Literal(false);
            StatusFunction? function = word.ToLowerInvariant() switch
            {
                "success" => StatusFunction.Success,
                "failure" => StatusFunction.Failure,
                "always" => StatusFunction.Always,
                "cancelled" => StatusFunction.Cancelled,
                _ => null,
            };
            if (function is null)
            {
                pos = start;
                throw Error($"'{word}' is not supported in 'if' yet: use success(), failure(), always(), cancelled(), !, &&, ||, true or false");
            }
            SkipSpace();
            if (!TryConsume("("))
                throw Error($"expected '(' after '{word}'");
            if (!TryConsume(")"))
                throw Error($"'{word}()' takes no arguments");
            return new Call(function.Value);
        }

        private bool TryConsume(string token)
        {
            SkipSpace();
            if (string.CompareOrdinal(text, pos, token, 0, token.Length) != 0)
                return false;
            pos += token.Length;
            return true;
        }

        private void SkipSpace()
        {
            while (pos < text.Length && char.IsWhiteSpace(text[pos]))
                pos++;
        }

        private ConditionSyntaxException Error(string message) => new($"invalid 'if' expression: {message}", baseOffset + pos);
    }
}
