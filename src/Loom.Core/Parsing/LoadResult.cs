using Loom.Core.Diagnostics;
using Loom.Core.Model;

namespace Loom.Core.Parsing;

/// <summary>Either a valid workflow or every error found in the file (never both).</summary>
public sealed record LoadResult(Workflow? Workflow, IReadOnlyList<Diagnostic> Errors)
{
    public bool Succeeded => Workflow is not null;
}
