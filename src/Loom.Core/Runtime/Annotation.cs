using System.Globalization;

namespace Loom.Core.Runtime;

public enum AnnotationLevel
{
    Notice,
    Warning,
    Error,
}

/// <summary>An <c>::error</c>, <c>::warning</c> or <c>::notice</c> from a step, or a problem Loom reports
/// about a step's commands. Positions are 1-based, as the step wrote them.</summary>
public sealed record Annotation(AnnotationLevel Level, string Message)
{
    public string? Title { get; init; }
    public string? File { get; init; }
    public int? Line { get; init; }
    public int? EndLine { get; init; }
    public int? Column { get; init; }
    public int? EndColumn { get; init; }

    /// <summary>
    /// Reads <c>file</c>, <c>line</c>, <c>endLine</c>, <c>col</c>, <c>endColumn</c> and <c>title</c>, and
    /// drops inconsistent positions by the runner's rules (IssueCommandExtension.ValidateLinesAndColumns):
    /// an end without a start becomes the start; columns need a line, and a single line; an end before
    /// its start drops the pair. A value that is not an integer counts as absent.
    /// </summary>
    public static Annotation FromCommand(AnnotationLevel level, WorkflowCommand command, SecretMasker masker)
    {
        var line = Integer(command, "line");
        var endLine = Integer(command, "endLine");
        var column = Integer(command, "col");
        var endColumn = Integer(command, "endColumn");

        line ??= endLine;
        column ??= endColumn;
        var columnsValid = line is not null && (endLine is null || endLine == line);
        if (line is not null && endLine < line)
            (line, endLine) = (null, null);
        if (!columnsValid || endColumn < column)
            (column, endColumn) = (null, null);

        var title = command.Property("title");
        var file = command.Property("file");
        return new Annotation(level, masker.Mask(command.Message))
        {
            Title = title is null ? null : masker.Mask(title),
            File = file is null ? null : masker.Mask(file),
            Line = line,
            EndLine = endLine,
            Column = column,
            EndColumn = endColumn,
        };
    }

    private static int? Integer(WorkflowCommand command, string key)
        => int.TryParse(command.Property(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;
}
