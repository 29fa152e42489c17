namespace Loom.Core.Expressions;

/// <summary>The named contexts of spec §4 and their slots; <c>github</c> shares <c>loom</c>'s slot.</summary>
internal static class ContextNames
{
    public const string Loom = "loom";
    public const string GitHub = "github";

    /// <summary>Every context name a user may write, in the order used for "did you mean" hints.</summary>
    public static readonly string[] All =
        ["env", "matrix", "needs", "steps", "job", "strategy", "runner", "secrets", "vars", "inputs", Loom, GitHub];

    public const int SlotCount = 11;

    /// <summary>The slot of a context name (case-insensitive), or -1 for an unknown name.</summary>
    public static int SlotOf(string name)
    {
        if (name.Equals(GitHub, StringComparison.OrdinalIgnoreCase))
            return Array.IndexOf(All, Loom);
        for (var i = 0; i < SlotCount; i++)
        {
            if (name.Equals(All[i], StringComparison.OrdinalIgnoreCase))
                return i;
        }
        return -1;
    }

    /// <summary>The lower-case name a user-written name refers to, <c>loom</c> for <c>github</c>; null when unknown.</summary>
    public static string? Canonical(string name) => SlotOf(name) is var slot and >= 0 ? All[slot] : null;
}
