namespace Loom.Core.Expressions;

/// <summary>Bounds that keep hostile expressions from exhausting the stack, the CPU or memory.</summary>
public static class ExpressionLimits
{
    /// <summary>Longest expression text (between <c>${{</c> and <c>}}</c>) that is parsed.</summary>
    public const int MaxLength = 64 * 1024;

    /// <summary>Deepest nesting of operators, calls, groups and property accesses.</summary>
    public const int MaxDepth = 100;

    /// <summary>Longest string that <c>format</c>, <c>join</c>, <c>toJSON</c> or a template may produce (10 Mi chars).</summary>
    public const int MaxResultLength = 10 * 1024 * 1024;

    /// <summary>Deepest JSON document <c>fromJSON</c> accepts.</summary>
    public const int MaxJsonDepth = 64;
}
