using System.Text;

namespace Loom.Core.Expressions;

/// <summary>The <c>format</c> function's template: <c>{N}</c> placeholders, <c>{{</c> and <c>}}</c> for literal braces.</summary>
internal static class FormatString
{
    /// <summary>
    /// Replaces each placeholder by <c>arguments[N]</c>. On a malformed template or an index beyond
    /// <paramref name="argumentCount"/> returns null and the reason.
    /// </summary>
    public static string? Apply(string format, int argumentCount, Func<int, string> argument, out string error)
    {
        var result = new StringBuilder();
        var i = 0;
        while (i < format.Length)
        {
            var c = format[i];
            if (c == '{' && i + 1 < format.Length && format[i + 1] == '{' || c == '}' && i + 1 < format.Length && format[i + 1] == '}')
            {
                result.Append(c);
                i += 2;
            }
            else if (c == '}')
            {
                error = $"format string '{format}' is invalid: '}}' at index {i} must be doubled";
                return null;
            }
            else if (c == '{')
            {
                var close = format.IndexOf('}', i + 1);
                var digits = close < 0 ? "" : format[(i + 1)..close];
                if (digits.Length is 0 or > 3 || !digits.All(char.IsAsciiDigit))
                {
                    error = $"format string '{format}' is invalid: '{{' at index {i} must start a placeholder such as {{0}} or be doubled";
                    return null;
                }
                var index = int.Parse(digits, System.Globalization.CultureInfo.InvariantCulture);
                if (index >= argumentCount)
                {
                    error = $"format string '{format}' refers to {{{index}}} but only {argumentCount} argument(s) follow it";
                    return null;
                }
                result.Append(argument(index));
                i = close + 1;
            }
            else
            {
                result.Append(c);
                i++;
            }
            if (result.Length > ExpressionLimits.MaxResultLength)
            {
                error = $"the result of format is longer than {ExpressionLimits.MaxResultLength} characters";
                return null;
            }
        }
        error = "";
        return result.ToString();
    }
}
