using Loom.Core.Diagnostics;

namespace Loom.Core.Parsing;

/// <summary>Every error found in one file, each kept to one line so the <c>file:line:col: error: message</c> form holds.</summary>
internal sealed class DiagnosticBag(string file)
{
    private readonly List<Diagnostic> items = [];
    private readonly List<Diagnostic> warnings = [];

    public bool HasErrors => items.Count > 0;

    public void Add(SourceLocation location, string message) =>
        items.Add(new Diagnostic(file, location, MessageText.OneLine(message)));

    public void Warn(SourceLocation location, string message) =>
        warnings.Add(new Diagnostic(file, location, MessageText.OneLine(message), Severity.Warning));

    /// <summary>By line, then column; errors at the same place keep the order they were found in.</summary>
    public IReadOnlyList<Diagnostic> Sorted() => Sort(items);

    public IReadOnlyList<Diagnostic> SortedWarnings() => Sort(warnings);

    private static Diagnostic[] Sort(List<Diagnostic> list) =>
        list.OrderBy(d => d.Location.Line).ThenBy(d => d.Location.Column).ToArray();
}
