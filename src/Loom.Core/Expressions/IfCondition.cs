namespace Loom.Core.Expressions;

/// <summary>
/// An <c>if</c>: one expression, with or without <c>${{ }}</c> around it. When it calls no status function it is
/// evaluated as <c>success() &amp;&amp; (expr)</c>, as in GitHub (spec §4, §5).
/// </summary>
public sealed class IfCondition
{
    private IfCondition(Expression expression) => Expression = expression;

    /// <summary>The condition used when a job or step has no <c>if</c>: <c>success()</c>.</summary>
    public static IfCondition Default { get; } = Parse("success()");

    /// <summary>The expression, with offsets into the <c>if</c> value as written.</summary>
    public Expression Expression { get; }

    /// <summary>Whether the expression calls a status function itself (otherwise <c>success()</c> is implied).</summary>
    public bool CallsStatusFunction => Expression.CallsStatusFunction;

    /// <summary>Parses an <c>if</c> value; error offsets are 0-based positions in <paramref name="text"/>.</summary>
    /// <exception cref="ExpressionSyntaxException">Not a single valid expression.</exception>
    public static IfCondition Parse(string text)
    {
        if (!text.Contains("${{", StringComparison.Ordinal))
            return new IfCondition(Expression.Parse(text));
        var template = ExpressionTemplate.Parse(text);
        if (template.SingleExpression is { } single)
            return new IfCondition(single);
        // GitHub would turn `${{ a }} == b` into an always-true string; reject it instead of running the step.
        var first = template.Parts.OfType<ExpressionPart>().First();
        var stray = template.Parts.First(p => p != first && (p is ExpressionPart || !string.IsNullOrWhiteSpace(((LiteralPart)p).Text)));
        var offset = stray is LiteralPart literal ? literal.Offset + literal.Text.Length - literal.Text.TrimStart().Length : stray.Offset;
        throw new ExpressionSyntaxException("an 'if' must be one expression: put all of it inside '${{ }}' or leave '${{ }}' out", offset);
    }

    /// <summary>Whether the job or step runs; the expression is not evaluated when an implied <c>success()</c> is false.</summary>
    /// <exception cref="ExpressionEvaluationException">The expression failed.</exception>
    public bool Evaluate(EvaluationContext context)
    {
        if (CallsStatusFunction)
            return Expression.Evaluate(context).IsTruthy;
        var status = context.Status;
        return status.Succeeded && !status.Cancelled && Expression.Evaluate(context).IsTruthy;
    }

    /// <summary>The expression's text.</summary>
    public override string ToString() => Expression.Text;
}
