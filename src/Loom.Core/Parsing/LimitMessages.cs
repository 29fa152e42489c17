namespace Loom.Core.Parsing;

/// <summary>The error for each limit of spec §7, naming the limit and the flag that raises it.</summary>
internal static class LimitMessages
{
    public static string FileTooLarge(ParseLimits limits) =>
        $"file is larger than the {MessageText.Bytes(limits.MaxFileBytes)} limit (--max-file-size)";

    public static string ScalarTooLong(ParseLimits limits) =>
        $"scalar longer than the {MessageText.Bytes(limits.MaxScalarBytes)} limit (--max-scalar-size)";

    public static string TooDeep(ParseLimits limits) => $"nesting deeper than {limits.MaxDepth} (--max-depth)";

    public static string TooManyAliasNodes(ParseLimits limits) =>
        $"more than {limits.MaxAliasNodes} nodes reached through aliases (--max-alias-nodes)";

    public static string TooManyNodes(ParseLimits limits) => $"more than {limits.MaxNodes} YAML nodes (--max-nodes)";

    public static string TooManyJobs(ParseLimits limits) => $"more than {limits.MaxJobs} jobs (--max-jobs)";
}
