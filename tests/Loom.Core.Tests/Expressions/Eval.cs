using Loom.Core.Expressions;

namespace Loom.Core.Tests.Expressions;

/// <summary>Shorthands for evaluating expression text in tests.</summary>
internal static class Eval
{
    public static ExpressionValue Json(string json) =>
        ExpressionValue.TryParseJson(json, out var value, out var error) ? value : throw new ArgumentException(error);

    /// <summary>A context whose named contexts are given as JSON objects, e.g. <c>("env", "{\"A\": \"1\"}")</c>.</summary>
    public static EvaluationContext Context(params (string Name, string Json)[] contexts) =>
        contexts.Aggregate(EvaluationContext.Empty, (c, x) => c.With(x.Name, Json(x.Json)));

    public static ExpressionValue Value(string expression, EvaluationContext? context = null) =>
        Expression.Parse(expression).Evaluate(context ?? EvaluationContext.Empty);

    public static string Text(string expression, EvaluationContext? context = null) => Value(expression, context).ToInterpolationString();

    public static bool Bool(string expression, EvaluationContext? context = null) => Value(expression, context).AsBoolean();

    public static ExpressionSyntaxException SyntaxError(string expression) =>
        Assert.Throws<ExpressionSyntaxException>(() => Expression.Parse(expression));

    public static ExpressionEvaluationException EvaluationError(string expression, EvaluationContext? context = null) =>
        Assert.Throws<ExpressionEvaluationException>(() => Value(expression, context));
}
