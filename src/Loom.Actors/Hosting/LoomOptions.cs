using FluentValidation;
using Loom.Core.Parsing;

namespace Loom.Actors.Hosting;

/// <summary>Settings of Loom's actors in a host; bound from configuration section <c>Loom</c>.</summary>
public sealed class LoomOptions
{
    public const string Section = "Loom";

    /// <summary>Limits applied when workflow files are loaded (spec §7).</summary>
    public ParseLimits Limits { get; set; } = ParseLimits.Default;
}

public sealed class LoomOptionsValidator : AbstractValidator<LoomOptions>
{
    public LoomOptionsValidator()
    {
        RuleFor(o => o.Limits.MaxFileBytes).GreaterThan(0);
        RuleFor(o => o.Limits.MaxScalarBytes).GreaterThan(0);
        RuleFor(o => o.Limits.MaxDepth).InclusiveBetween(2, 10_000);
        RuleFor(o => o.Limits.MaxAliasNodes).GreaterThan(0);
        RuleFor(o => o.Limits.MaxJobs).GreaterThan(0);
        RuleFor(o => o.Limits.MaxNodes).GreaterThan(0);
    }
}
