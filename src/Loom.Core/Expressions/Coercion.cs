namespace Loom.Core.Expressions;

/// <summary>
/// GitHub's comparisons: like JavaScript's abstract equality, except that strings compare ordinally ignoring case
/// and arrays and objects are never converted (they are equal only to themselves and never ordered).
/// </summary>
internal static class Coercion
{
    public static bool LooseEquals(ExpressionValue left, ExpressionValue right)
    {
        var (l, r) = Coerce(left, right);
        if (l.Kind != r.Kind)
            return false;
        return l.Kind switch
        {
            ValueKind.Null => true,
            ValueKind.Boolean or ValueKind.Number => l.Number == r.Number, // NaN is never equal, as IEEE says
            ValueKind.String => string.Equals(l.Value.AsString(), r.Value.AsString(), StringComparison.OrdinalIgnoreCase),
            _ => ReferenceEquals(l.Value, r.Value),
        };
    }

    /// <summary>Negative when left &lt; right, positive when left &gt; right, 0 when neither holds (unordered or equal).</summary>
    public static int Order(ExpressionValue left, ExpressionValue right)
    {
        var (l, r) = Coerce(left, right);
        if (l.Kind != r.Kind)
            return 0;
        return l.Kind switch
        {
            ValueKind.Boolean or ValueKind.Number when double.IsNaN(l.Number) || double.IsNaN(r.Number) => 0,
            ValueKind.Boolean or ValueKind.Number => l.Number.CompareTo(r.Number),
            ValueKind.String => Math.Sign(string.Compare(l.Value.AsString(), r.Value.AsString(), StringComparison.OrdinalIgnoreCase)),
            _ => 0,
        };
    }

    /// <summary>A value seen as a number where coercion asked for one; <see cref="Value"/> keeps the original.</summary>
    private readonly record struct Operand(ValueKind Kind, double Number, ExpressionValue Value);

    /// <summary>Same kinds stay; number with string, and null or boolean with anything, become numbers.</summary>
    private static (Operand Left, Operand Right) Coerce(ExpressionValue left, ExpressionValue right)
    {
        var l = new Operand(left.Kind, left.Kind is ValueKind.Boolean or ValueKind.Number ? left.ToNumber() : 0d, left);
        var r = new Operand(right.Kind, right.Kind is ValueKind.Boolean or ValueKind.Number ? right.ToNumber() : 0d, right);
        if (l.Kind == r.Kind)
            return (l, r);
        if (l.Kind is ValueKind.Null or ValueKind.Boolean)
            l = AsNumber(left);
        if (r.Kind is ValueKind.Null or ValueKind.Boolean)
            r = AsNumber(right);
        if (l.Kind == ValueKind.Number && r.Kind == ValueKind.String)
            r = AsNumber(right);
        else if (l.Kind == ValueKind.String && r.Kind == ValueKind.Number)
            l = AsNumber(left);
        return (l, r);
    }

    private static Operand AsNumber(ExpressionValue value) => new(ValueKind.Number, value.ToNumber(), value);
}
