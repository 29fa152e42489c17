using Loom.Core.Diagnostics;
using Loom.Core.Validation;

namespace Loom.Core.Parsing;

/// <summary>Reads a <c>.loom.yml</c> into a validated <see cref="Model.Workflow"/>, or every error in it (spec §1–§3, §7).</summary>
public static class WorkflowLoader
{
    /// <summary>Parses and validates <paramref name="text"/>. Never throws for any text; problems come back as errors.</summary>
    /// <param name="displayPath">The path as the user typed it: used in every error and for the default name.</param>
    /// <param name="filePath">
    /// Where the file is on the machine it was submitted from, when that is not where it is loaded (a cluster's coordinator):
    /// a <c>.loom.yml</c> without <c>name:</c> is named after this folder. Null: <paramref name="displayPath"/> resolved here.
    /// </param>
    public static LoadResult Load(string displayPath, string text, ParseLimits? limits = null, LoadOptions? options = null, string? filePath = null)
    {
        ArgumentNullException.ThrowIfNull(displayPath);
        ArgumentNullException.ThrowIfNull(text);
        limits ??= ParseLimits.Default;
        var errors = new DiagnosticBag(displayPath);

        if (InputText.Prepare(text, limits, errors) is not { } source
            || !YamlTreeBuilder.TryBuild(source, limits, errors, out var root))
            return Failed(errors);

        var suggester = new Suggester();
        if (new WorkflowReader(errors, limits, suggester, options ?? LoadOptions.Default).Read(root) is not { } raw)
            return Failed(errors);
        WorkflowValidator.Validate(raw, errors);
        DependencyValidator.Validate(raw.Jobs, errors, suggester);
        ExpressionValidator.Validate(raw, errors, suggester);
        if (!errors.HasErrors)
            MatrixValidator.Validate(raw.Jobs, limits, errors);
        return errors.HasErrors ? Failed(errors) : new LoadResult(WorkflowFactory.Create(raw, displayPath, filePath), []) { Warnings = errors.SortedWarnings(), Text = text };
    }

    /// <summary>Reads and loads the file at <paramref name="path"/>; an unreadable or oversized file is an error at 1:1.</summary>
    /// <param name="displayPath">How errors and the default name refer to the file: the path as the user gave it (default <paramref name="path"/>).</param>
    public static LoadResult LoadFile(string path, ParseLimits? limits = null, LoadOptions? options = null, string? displayPath = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        limits ??= ParseLimits.Default;
        displayPath ??= path;
        var errors = new DiagnosticBag(displayPath);
        if (SourceFile.Read(path, limits, errors) is not { } bytes || InputText.Decode(bytes, errors) is not { } text)
            return Failed(errors);
        return Load(displayPath, text, limits, options, path);
    }

    private static LoadResult Failed(DiagnosticBag errors) => new(null, errors.Sorted()) { Warnings = errors.SortedWarnings() };
}
