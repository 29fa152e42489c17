using Loom.Core.Expressions;

namespace Loom.Core.Model;

/// <summary>What the status functions see when an <c>if</c> is evaluated.</summary>
/// <param name="Succeeded">Every earlier step (for a step) or every need (for a job) succeeded.</param>
/// <param name="Failed">An earlier step, or an ancestor job, failed.</param>
/// <param name="Cancelled">The run was cancelled (or, for a step, its job timed out).</param>
public readonly record struct StatusContext(bool Succeeded, bool Failed, bool Cancelled)
{
    public StatusSnapshot ToSnapshot() => new(Succeeded, Failed, Cancelled);
}

/// <summary>
/// A parsed <c>if</c> (spec §4): any expression, with or without <c>${{ }}</c>; one that calls no status
/// function is implicitly <c>success() &amp;&amp; (expr)</c>, as in GitHub.
/// </summary>
public sealed class Condition
{
    public static readonly Condition Default = Parse("success()");

    private readonly IfCondition condition;

    private Condition(string text, IfCondition condition)
    {
        Text = text;
        this.condition = condition;
        IsStatusOnly = !condition.Expression.Root.DescendantsAndSelf().Any(n => n is ContextNode);
    }

    /// <summary>The expression as written (without <c>${{ }}</c>).</summary>
    public string Text { get; }

    public bool UsesStatusFunction => condition.CallsStatusFunction;

    /// <summary>Reads no context: can be evaluated from the status alone, without building any context.</summary>
    public bool IsStatusOnly { get; }

    /// <summary>For a condition that <see cref="IsStatusOnly"/>.</summary>
    public bool Evaluate(StatusContext status) => condition.Evaluate(EvaluationContext.Empty.WithStatus(status.ToSnapshot()));

    /// <exception cref="ExpressionEvaluationException">The expression failed (e.g. <c>fromJSON</c> of bad JSON).</exception>
    public bool Evaluate(StatusContext status, EvaluationContext contexts) => condition.Evaluate(contexts.WithStatus(status.ToSnapshot()));

    /// <summary>The context values the expression read, as <c>name = value</c>: what a "was false" message shows.</summary>
    public IReadOnlyList<string> Explain(StatusContext status, EvaluationContext contexts) =>
        ExpressionExplainer.Values(condition.Expression, contexts.WithStatus(status.ToSnapshot()));

    public override string ToString() => Text;

    /// <exception cref="ExpressionSyntaxException">Not one valid expression.</exception>
    public static Condition Parse(string text) =>
        // Every step without an `if` travels as "success()": no lexer and parser per step for it.
        text == "success()" && Default is { } known ? known : new(TextOf(text), IfCondition.Parse(text));

    /// <summary>Parses an <c>if</c> value; on failure returns null and an error with its 0-based offset in <paramref name="text"/>.</summary>
    public static Condition? TryParse(string text, out string? error, out int errorOffset)
    {
        try
        {
            var parsed = Parse(text);
            error = null;
            errorOffset = 0;
            return parsed;
        }
        catch (ExpressionSyntaxException e)
        {
            error = e.Message;
            errorOffset = e.Offset;
            return null;
        }
    }

    private static string TextOf(string text)
    {
        var body = text.Trim();
        return body.StartsWith("${{", StringComparison.Ordinal) && body.EndsWith("}}", StringComparison.Ordinal) ? body[3..^2].Trim() : body;
    }
}
