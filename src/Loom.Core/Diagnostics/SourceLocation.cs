namespace Loom.Core.Diagnostics;

/// <summary>A 1-based line and column in a workflow file.</summary>
public readonly record struct SourceLocation(int Line, int Column)
{
    public static readonly SourceLocation Start = new(1, 1);

    public override string ToString() => $"{Line}:{Column}";
}
