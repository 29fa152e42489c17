namespace Loom.Core.Expressions;

/// <summary>
/// Everything an expression can read: the named contexts (<c>env</c>, <c>matrix</c>, <c>needs</c>, <c>steps</c>,
/// <c>job</c>, <c>strategy</c>, <c>runner</c>, <c>secrets</c>, <c>vars</c>, <c>inputs</c>, <c>loom</c> alias
/// <c>github</c>), the status snapshot and the workspace for <c>hashFiles</c>. Immutable: each <c>With</c> copies
/// eleven references, so a run builds one base context and derives a cheap one per job and step.
/// </summary>
public sealed class EvaluationContext
{
    /// <summary>No contexts set (each reads as null), everything succeeded, no workspace.</summary>
    public static readonly EvaluationContext Empty = new(new ExpressionValue[ContextNames.SlotCount], StatusSnapshot.AllSucceeded, null);

    private readonly ExpressionValue?[] contexts;

    private EvaluationContext(ExpressionValue?[] contexts, StatusSnapshot status, string? workspace)
    {
        this.contexts = contexts;
        Status = status;
        Workspace = workspace;
    }

    /// <summary>What <c>success()</c>, <c>failure()</c> and <c>cancelled()</c> return.</summary>
    public StatusSnapshot Status { get; }

    /// <summary>The folder <c>hashFiles</c> patterns are relative to; null where hashing is not available.</summary>
    public string? Workspace { get; }

    /// <summary>A copy with context <paramref name="name"/> (case-insensitive; <c>github</c> sets <c>loom</c>) set to <paramref name="value"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="name"/> is not one of the contexts of spec §4.</exception>
    public EvaluationContext With(string name, ExpressionValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var slot = ContextNames.SlotOf(name);
        if (slot < 0)
            throw new ArgumentException($"'{name}' is not a context name", nameof(name));
        var copy = (ExpressionValue?[])contexts.Clone();
        copy[slot] = value;
        return new EvaluationContext(copy, Status, Workspace);
    }

    /// <summary>A copy with another status snapshot.</summary>
    public EvaluationContext WithStatus(StatusSnapshot status) => new(contexts, status, Workspace);

    /// <summary>A copy with another workspace folder.</summary>
    public EvaluationContext WithWorkspace(string? workspace) => new(contexts, Status, workspace);

    /// <summary>The value of a context (null when not set); false when <paramref name="name"/> is not a context name.</summary>
    public bool TryGetContext(string name, out ExpressionValue value)
    {
        var slot = ContextNames.SlotOf(name);
        value = slot >= 0 ? contexts[slot] ?? ExpressionValue.Null : ExpressionValue.Null;
        return slot >= 0;
    }
}
