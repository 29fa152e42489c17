using Loom.Core.Diagnostics;
using Loom.Core.Model;

namespace Loom.Core.Parsing;

/// <summary>Either a valid workflow or every error found in the file (never both), and any warnings.</summary>
public sealed record LoadResult(Workflow? Workflow, IReadOnlyList<Diagnostic> Errors)
{
    public bool Succeeded => Workflow is not null;

    /// <summary>What loaded but deserves a word, e.g. a <c>uses:</c> step skipped under <see cref="LoadOptions.SkipUses"/>.</summary>
    public IReadOnlyList<Diagnostic> Warnings { get; init; } = [];

    /// <summary>The text that was loaded (decoded), when it could be read: what a run records of its workflow.</summary>
    public string? Text { get; init; }
}

/// <summary>How a file is read beyond its limits.</summary>
/// <param name="SkipUses">A <c>uses:</c> step is left out with a warning instead of being an error (<c>--skip-uses</c>).</param>
public sealed record LoadOptions(bool SkipUses = false)
{
    public static readonly LoadOptions Default = new();
}
