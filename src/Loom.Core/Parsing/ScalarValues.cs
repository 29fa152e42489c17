using System.Globalization;

namespace Loom.Core.Parsing;

/// <summary>How typed values are read from scalars; shared by the validators and the model factory so they agree.</summary>
internal static class ScalarValues
{
    /// <summary>
    /// 7 days. Timeouts become Akka timers, which cannot be longer than about 24.8 days, and a value like
    /// <c>1e300</c> would overflow <see cref="TimeSpan"/>.
    /// </summary>
    public const int MaxTimeoutMinutes = 7 * 24 * 60;

    /// <summary>A plain number above zero and at most <see cref="MaxTimeoutMinutes"/>; fractions allowed (<c>0.05</c>).</summary>
    public static bool TryTimeoutMinutes(ScalarNode node, out double value) =>
        double.TryParse(node.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out value)
        && node.IsPlain && value > 0 && value <= MaxTimeoutMinutes;

    public static bool TryNonNegativeNumber(ScalarNode node, out double value) =>
        double.TryParse(node.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out value)
        && node.IsPlain && value >= 0 && double.IsFinite(value);

    public static bool TryPositiveInteger(ScalarNode node, out int value) =>
        int.TryParse(node.Value, NumberStyles.None, CultureInfo.InvariantCulture, out value)
        && node.IsPlain && value > 0;

    /// <summary>YAML 1.2 core booleans, unquoted.</summary>
    public static bool TryBoolean(ScalarNode node, out bool value)
    {
        value = node.Value is "true" or "True" or "TRUE";
        return node.IsPlain && (value || node.Value is "false" or "False" or "FALSE");
    }

    /// <summary>Job and step ids: <c>^[A-Za-z_][A-Za-z0-9_-]*$</c>.</summary>
    public static bool IsId(string value)
    {
        if (value.Length == 0 || !(char.IsAsciiLetter(value[0]) || value[0] == '_'))
            return false;
        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
                return false;
        }
        return true;
    }
}
