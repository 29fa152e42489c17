namespace Loom.Core.Runtime;

public enum StepLineKind
{
    /// <summary>Print <see cref="StepLine.Text"/> as a log line.</summary>
    Text,

    /// <summary>Open a collapsible group titled <see cref="StepLine.Text"/>.</summary>
    GroupStart,

    /// <summary>Close the innermost group.</summary>
    GroupEnd,

    /// <summary>Show and record <see cref="StepLine.Annotation"/>.</summary>
    Annotation,

    /// <summary>Print <see cref="StepLine.Text"/> only when step debug logging is on.</summary>
    Debug,

    /// <summary>Print nothing (e.g. an <c>::add-mask::</c> line, whose value must never reach a log).</summary>
    Hidden,
}

/// <summary>What to do with one line of a step's output. Every text in it is already masked.</summary>
public sealed record StepLine(StepLineKind Kind, string Text)
{
    public Annotation? Annotation { get; init; }

    /// <summary>A value this line registered with the masker, for callers that share masks elsewhere.</summary>
    public string? NewMask { get; init; }

    /// <summary>The line used a disabled command or an unsafe stop token: GitHub fails the step then.</summary>
    public bool FailsStep { get; init; }

    public static StepLine Hidden { get; } = new(StepLineKind.Hidden, "");

    public static StepLine Problem(AnnotationLevel level, string message, bool failsStep = false)
        => new(StepLineKind.Annotation, message) { Annotation = new Annotation(level, message), FailsStep = failsStep };
}
