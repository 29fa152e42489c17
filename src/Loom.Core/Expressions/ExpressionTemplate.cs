using System.Text;

namespace Loom.Core.Expressions;

/// <summary>
/// A string with zero or more <c>${{ expr }}</c> parts among literal text, e.g. a <c>run</c>, <c>name</c> or
/// <c>env</c> value. An expression ends at the first <c>}}</c> outside a string literal. All offsets (parts,
/// expressions, errors) are 0-based positions in <see cref="Text"/>.
/// </summary>
public sealed class ExpressionTemplate
{
    private const string Open = "${{";
    private const string Close = "}}";

    private ExpressionTemplate(string text, IReadOnlyList<TemplatePart> parts)
    {
        Text = text;
        Parts = parts;
        var nonBlank = parts.Where(p => p is ExpressionPart || !string.IsNullOrWhiteSpace(((LiteralPart)p).Text)).ToList();
        SingleExpression = nonBlank is [ExpressionPart only] ? only.Expression : null;
    }

    /// <summary>The template as written.</summary>
    public string Text { get; }

    /// <summary>The literal and expression parts in order.</summary>
    public IReadOnlyList<TemplatePart> Parts { get; }

    /// <summary>Whether any <c>${{ }}</c> occurs; without one the template evaluates to <see cref="Text"/>.</summary>
    public bool HasExpressions => Parts.Any(p => p is ExpressionPart);

    /// <summary>Every expression in order.</summary>
    public IEnumerable<Expression> Expressions => Parts.OfType<ExpressionPart>().Select(p => p.Expression);

    /// <summary>
    /// The expression when the whole template is exactly one <c>${{ expr }}</c> (surrounding whitespace ignored);
    /// such a value keeps its type (<see cref="EvaluateValue"/>), e.g. <c>${{ fromJSON(...) }}</c> in a matrix.
    /// </summary>
    public Expression? SingleExpression { get; }

    /// <summary>Splits <paramref name="text"/> into parts and parses each expression.</summary>
    /// <exception cref="ExpressionSyntaxException">An unclosed <c>${{</c> (at its offset) or an invalid expression.</exception>
    public static ExpressionTemplate Parse(string text)
    {
        var parts = new List<TemplatePart>();
        var pos = 0;
        while (pos < text.Length)
        {
            var open = text.IndexOf(Open, pos, StringComparison.Ordinal);
            if (open < 0)
                break;
            if (open > pos)
                parts.Add(new LiteralPart(pos, open - pos, text[pos..open]));
            var close = FindClose(text, open + Open.Length);
            if (close < 0)
                throw new ExpressionSyntaxException("'${{' is not closed by '}}'", open);
            var expression = Expression.Parse(text, open + Open.Length, close);
            parts.Add(new ExpressionPart(open, close + Close.Length - open, expression));
            pos = close + Close.Length;
        }
        if (pos < text.Length)
            parts.Add(new LiteralPart(pos, text.Length - pos, text[pos..]));
        return new ExpressionTemplate(text, parts);
    }

    /// <summary>The template's text with each expression's value put in as <see cref="ExpressionValue.ToInterpolationString"/>.</summary>
    /// <exception cref="ExpressionEvaluationException">An expression failed, or the result would exceed <see cref="ExpressionLimits.MaxResultLength"/>.</exception>
    public string EvaluateToString(EvaluationContext context)
    {
        if (!HasExpressions)
            return Text;
        var result = new StringBuilder();
        foreach (var part in Parts)
        {
            result.Append(part is ExpressionPart e ? e.Expression.Evaluate(context).ToInterpolationString() : ((LiteralPart)part).Text);
            if (result.Length > ExpressionLimits.MaxResultLength)
                throw new ExpressionEvaluationException($"the value is longer than {ExpressionLimits.MaxResultLength} characters", part.Offset);
        }
        return result.ToString();
    }

    /// <summary>The raw value of a <see cref="SingleExpression"/>; otherwise the string of <see cref="EvaluateToString"/>.</summary>
    /// <exception cref="ExpressionEvaluationException">An expression failed.</exception>
    public ExpressionValue EvaluateValue(EvaluationContext context) =>
        SingleExpression?.Evaluate(context) ?? ExpressionValue.FromString(EvaluateToString(context));

    /// <summary>The text as written.</summary>
    public override string ToString() => Text;

    /// <summary>The first <c>}}</c> at or after <paramref name="from"/> that is not inside a single-quoted string; -1 if none.</summary>
    private static int FindClose(string text, int from)
    {
        var inString = false;
        for (var i = from; i < text.Length; i++)
        {
            if (text[i] == '\'')
                inString = !inString; // a doubled '' toggles twice, so escapes need no special case
            else if (!inString && text[i] == '}' && i + 1 < text.Length && text[i + 1] == '}')
                return i;
        }
        return -1;
    }
}
