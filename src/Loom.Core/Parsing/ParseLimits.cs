namespace Loom.Core.Parsing;

/// <summary>The defaults of spec §7; each is named in the error it raises and can be raised on the command line.</summary>
public sealed record ParseLimits
{
    public static readonly ParseLimits Default = new();

    public long MaxFileBytes { get; init; } = 64L * 1024 * 1024;
    public int MaxScalarBytes { get; init; } = 1024 * 1024;
    public int MaxDepth { get; init; } = 64;
    public long MaxAliasNodes { get; init; } = 1_000_000;
    public int MaxJobs { get; init; } = 100_000;
}
