namespace Loom.Core.Expressions;

/// <summary>What the status functions see: <c>success()</c> is Succeeded and not Cancelled, <c>failure()</c> Failed, <c>cancelled()</c> Cancelled.</summary>
/// <param name="Succeeded">Every earlier step (for a step) or every need (for a job) succeeded.</param>
/// <param name="Failed">An earlier step, or an ancestor job, failed.</param>
/// <param name="Cancelled">The run was cancelled (or, for a step, its job timed out).</param>
public readonly record struct StatusSnapshot(bool Succeeded, bool Failed, bool Cancelled)
{
    /// <summary>Nothing failed and nothing was cancelled.</summary>
    public static readonly StatusSnapshot AllSucceeded = new(true, false, false);
}
