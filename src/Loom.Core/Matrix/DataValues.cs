using System.Globalization;
using Loom.Core.Expressions;
using Loom.Core.Model;

namespace Loom.Core.Matrix;

/// <summary>Turns data written in YAML (a matrix) into a value, evaluating each <c>${{ }}</c> in it.</summary>
public static class DataValues
{
    /// <exception cref="ExpressionException">An expression in the data is malformed or failed.</exception>
    public static ExpressionValue Evaluate(DataNode node, EvaluationContext contexts) => node switch
    {
        DataScalar { Text: var text } when Templates.HasExpression(text) => Templates.Value(text, contexts),
        DataScalar { Plain: true, Text: var text } => Plain(text),
        DataScalar scalar => ExpressionValue.FromString(scalar.Text),
        DataList list => ExpressionValue.FromArray(list.Items.Select(i => Evaluate(i, contexts))),
        DataMap map => ExpressionValue.FromObject(map.Entries.Select(e => new KeyValuePair<string, ExpressionValue>(e.Key, Evaluate(e.Value, contexts)))),
        _ => ExpressionValue.Null,
    };

    /// <summary>YAML 1.2's core schema for an unquoted scalar: null, booleans, numbers, else a string.</summary>
    private static ExpressionValue Plain(string text)
    {
        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return ExpressionValue.Null;
            case "true" or "True" or "TRUE":
                return ExpressionValue.True;
            case "false" or "False" or "FALSE":
                return ExpressionValue.False;
        }
        if (text.StartsWith("0x", StringComparison.Ordinal) && long.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex))
            return ExpressionValue.FromNumber(hex);
        return (text[0] is (>= '0' and <= '9') or '-' or '+' or '.') && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
            ? ExpressionValue.FromNumber(number)
            : ExpressionValue.FromString(text);
    }
}
