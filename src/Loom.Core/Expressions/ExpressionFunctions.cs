namespace Loom.Core.Expressions;

/// <summary>A built-in function's name as documented and how many arguments it takes.</summary>
internal sealed record FunctionInfo(string Name, int MinArguments, int MaxArguments, bool IsStatusFunction = false)
{
    public string DescribeArity() => (MinArguments, MaxArguments) switch
    {
        (0, 0) => "no arguments",
        var (min, max) when min == max => $"{min} argument{(min == 1 ? "" : "s")}",
        var (min, max) when max == byte.MaxValue => $"at least {min} argument{(min == 1 ? "" : "s")}",
        var (min, max) => $"{min} to {max} arguments",
    };
}

/// <summary>The functions of spec §4, looked up ignoring case (<c>toJson</c> is <c>toJSON</c>).</summary>
internal static class ExpressionFunctions
{
    public static readonly FunctionInfo Success = new("success", 0, 0, IsStatusFunction: true);
    public static readonly FunctionInfo Failure = new("failure", 0, 0, IsStatusFunction: true);
    public static readonly FunctionInfo Always = new("always", 0, 0, IsStatusFunction: true);
    public static readonly FunctionInfo Cancelled = new("cancelled", 0, 0, IsStatusFunction: true);
    public static readonly FunctionInfo Contains = new("contains", 2, 2);
    public static readonly FunctionInfo StartsWith = new("startsWith", 2, 2);
    public static readonly FunctionInfo EndsWith = new("endsWith", 2, 2);
    // GitHub caps format's and hashFiles' arguments at 255.
    public static readonly FunctionInfo Format = new("format", 1, byte.MaxValue);
    public static readonly FunctionInfo Join = new("join", 1, 2);
    public static readonly FunctionInfo ToJson = new("toJSON", 1, 1);
    public static readonly FunctionInfo FromJson = new("fromJSON", 1, 1);
    public static readonly FunctionInfo HashFiles = new("hashFiles", 1, byte.MaxValue);

    public static readonly FunctionInfo[] All =
        [Success, Failure, Always, Cancelled, Contains, StartsWith, EndsWith, Format, Join, ToJson, FromJson, HashFiles];

    public static FunctionInfo? Find(string name) =>
        Array.Find(All, f => f.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
}
