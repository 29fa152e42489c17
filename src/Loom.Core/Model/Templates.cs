using Loom.Core.Expressions;

namespace Loom.Core.Model;

/// <summary>Evaluates a value that may hold <c>${{ }}</c>; text without one is returned as it is, unparsed.</summary>
public static class Templates
{
    public static bool HasExpression(string text) => text.Contains("${{", StringComparison.Ordinal);

    /// <exception cref="ExpressionException">The template is malformed or an expression failed.</exception>
    public static string String(string text, EvaluationContext contexts) =>
        HasExpression(text) ? ExpressionTemplate.Parse(text).EvaluateToString(contexts) : text;

    /// <summary>A lone <c>${{ expr }}</c> keeps its type (a number, a list); anything else is a string.</summary>
    /// <exception cref="ExpressionException">The template is malformed or an expression failed.</exception>
    public static ExpressionValue Value(string text, EvaluationContext contexts) =>
        HasExpression(text) ? ExpressionTemplate.Parse(text).EvaluateValue(contexts) : ExpressionValue.FromString(text);
}
