namespace Loom.Core.Expressions;

/// <summary>A parsed expression (the text inside <c>${{ }}</c>), ready to evaluate any number of times.</summary>
public sealed class Expression
{
    private Expression(string source, int start, int end, ExpressionNode root)
    {
        Source = source;
        Offset = start;
        Length = end - start;
        Root = root;
        CallsStatusFunction = root.DescendantsAndSelf()
            .Any(n => n is CallNode call && ExpressionFunctions.Find(call.Name) is { IsStatusFunction: true });
    }

    /// <summary>The text that offsets refer to: the expression itself, or the whole template or <c>if</c> it sits in.</summary>
    public string Source { get; }

    /// <summary>Where the expression's text starts in <see cref="Source"/>.</summary>
    public int Offset { get; }

    /// <summary>How long the expression's text is in <see cref="Source"/>.</summary>
    public int Length { get; }

    /// <summary>The expression as written, trimmed.</summary>
    public string Text => Source.Substring(Offset, Length).Trim();

    /// <summary>Whether it calls <c>success()</c>, <c>failure()</c>, <c>always()</c> or <c>cancelled()</c> anywhere.</summary>
    public bool CallsStatusFunction { get; }

    internal ExpressionNode Root { get; }

    /// <summary>Parses <paramref name="text"/>; error offsets are 0-based positions in it.</summary>
    /// <exception cref="ExpressionSyntaxException">The text is not a valid expression or exceeds <see cref="ExpressionLimits"/>.</exception>
    public static Expression Parse(string text) => Parse(text, 0, text.Length);

    internal static Expression Parse(string source, int start, int end) =>
        new(source, start, end, ExpressionParser.Parse(source, start, end));

    /// <summary>Evaluates against <paramref name="context"/>.</summary>
    /// <exception cref="ExpressionEvaluationException">A function failed, e.g. <c>fromJSON</c> of invalid JSON.</exception>
    public ExpressionValue Evaluate(EvaluationContext context) => ExpressionEvaluator.Evaluate(Root, context);

    /// <summary>The trimmed text.</summary>
    public override string ToString() => Text;
}
