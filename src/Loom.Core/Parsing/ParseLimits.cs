namespace Loom.Core.Parsing;

/// <summary>The defaults of spec §7; each is named in the error it raises and can be raised on the command line.</summary>
public sealed record ParseLimits
{
    public static readonly ParseLimits Default = new();

    public long MaxFileBytes { get; init; } = 64L * 1024 * 1024;
    public int MaxScalarBytes { get; init; } = 1024 * 1024;
    public int MaxDepth { get; init; } = 64;
    public long MaxAliasNodes { get; init; } = 1_000_000;

    /// <summary>
    /// Scalars (keys included), sequences and mappings written in the file; aliases count toward <see cref="MaxAliasNodes"/>.
    /// The file size limit alone admits some 30 million nodes, gigabytes as a tree; 100 000 jobs with needs, env and a
    /// step are 1.7 million.
    /// </summary>
    public long MaxNodes { get; init; } = 2_500_000;

    public int MaxJobs { get; init; } = 100_000;
}
