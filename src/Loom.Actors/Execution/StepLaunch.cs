namespace Loom.Actors.Execution;

/// <summary>What to run for one step.</summary>
/// <param name="Run">The script text of the step.</param>
/// <param name="Shell">Null for the default; <c>bash</c>, <c>sh</c>, <c>python</c>, <c>pwsh</c> or a template containing <c>{0}</c>.</param>
/// <param name="WorkingDirectory">Absolute.</param>
/// <param name="Environment">The child's complete environment: nothing of Loom's own is inherited. Its PATH finds the shell and the program.</param>
/// <param name="Timeout">Kills the step's process group when it expires.</param>
public sealed record StepLaunch(
    string Run,
    string? Shell,
    string WorkingDirectory,
    IReadOnlyDictionary<string, string> Environment,
    TimeSpan? Timeout)
{
    /// <summary>
    /// Zero, or where the step's process writes its own pid and start before its exec (a
    /// <see cref="Running.ProcessLedger.Reservation"/>): what a <c>loom</c> killed right after the spawn leaves on record.
    /// </summary>
    public nint StartRecord { get; init; }
}
