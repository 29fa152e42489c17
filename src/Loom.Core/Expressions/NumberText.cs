using System.Globalization;

namespace Loom.Core.Expressions;

/// <summary>GitHub's number parsing (JavaScript's <c>Number()</c> rules) and formatting (<c>G15</c>, as the runner does).</summary>
internal static class NumberText
{
    private const NumberStyles DecimalStyles =
        NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent;

    /// <summary>Trimmed decimal, exponent, <c>0x</c> hex, <c>0o</c> octal or <c>Infinity</c>; '' is 0; anything else NaN.</summary>
    public static double Parse(string text)
    {
        var trimmed = text.AsSpan().Trim();
        if (trimmed.IsEmpty)
            return 0d;
        if (double.TryParse(trimmed, DecimalStyles, CultureInfo.InvariantCulture, out var value))
            return value;
        if (trimmed.Length > 2 && trimmed[0] == '0')
        {
            if (trimmed[1] == 'x' && ulong.TryParse(trimmed[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex))
                return hex;
            if (trimmed[1] == 'o' && TryParseOctal(trimmed[2..], out var octal))
                return octal;
        }
        return double.NaN;
    }

    /// <summary>Integers without a fraction, at most 15 significant digits, <c>-0</c> as <c>0</c>.</summary>
    public static string Format(double value) =>
        value == 0d ? "0" : value.ToString("G15", CultureInfo.InvariantCulture);

    private static bool TryParseOctal(ReadOnlySpan<char> digits, out double value)
    {
        value = 0d;
        foreach (var digit in digits)
        {
            if (digit is < '0' or > '7')
                return false;
            value = value * 8 + (digit - '0');
        }
        return true;
    }
}
