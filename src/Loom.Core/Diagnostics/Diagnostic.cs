namespace Loom.Core.Diagnostics;

public enum Severity { Error, Warning }

/// <summary>One problem in a workflow file, printed as <c>file:line:col: error: message</c> (spec §7).</summary>
public sealed record Diagnostic(string File, SourceLocation Location, string Message, Severity Severity = Severity.Error)
{
    public override string ToString() =>
        $"{File}:{Location.Line}:{Location.Column}: {(Severity == Severity.Error ? "error" : "warning")}: {Message}";
}
