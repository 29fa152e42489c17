using Loom.Core.Parsing;

namespace Loom.Core.Validation;

/// <summary>
/// Checks of single values shared by the validators. An absent value passes, and so does one holding
/// <c>${{ }}</c>: the reader already reported it. Messages are built only for a value that fails.
/// </summary>
internal static class ValueRules
{
    public const string IdRule = "must start with a letter or '_' and contain only letters, digits, '-' and '_'";

    private static readonly string TimeoutMessage =
        $"'timeout-minutes' must be a number above 0 and at most {ScalarValues.MaxTimeoutMinutes} (7 days)";

    public static void TimeoutMinutes(YamlNode? node, DiagnosticBag errors)
    {
        if (!Passes(node, static s => ScalarValues.TryTimeoutMinutes(s, out _)))
            errors.Add(node!.Location, TimeoutMessage);
    }

    public static void PositiveInteger(YamlNode? node, string key, DiagnosticBag errors)
    {
        if (!Passes(node, static s => ScalarValues.TryPositiveInteger(s, out _)))
            errors.Add(node!.Location, $"'{key}' must be a positive integer");
    }

    public static void Boolean(YamlNode? node, string key, DiagnosticBag errors)
    {
        if (!Passes(node, static s => ScalarValues.TryBoolean(s, out _)))
            errors.Add(node!.Location, $"'{key}' must be true or false");
    }

    private static bool Passes(YamlNode? node, Func<ScalarNode, bool> isValid) =>
        node is null or ScalarNode { HasExpression: true } || (node is ScalarNode scalar && isValid(scalar));
}
