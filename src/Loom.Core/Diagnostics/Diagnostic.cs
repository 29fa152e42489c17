namespace Loom.Core.Diagnostics;

/// <summary>One problem in a workflow file, printed as <c>file:line:col: error: message</c> (spec §7).</summary>
public sealed record Diagnostic(string File, SourceLocation Location, string Message)
{
    public override string ToString() => $"{File}:{Location.Line}:{Location.Column}: error: {Message}";
}
