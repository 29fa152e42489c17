namespace Loom.Actors.Execution;

/// <summary>How a step's process ended.</summary>
/// <param name="ExitCode">
/// The exit status, 128 + n for death by signal n (as shells report it), 127 (126: not executable)
/// with <paramref name="StartError"/> when nothing could be started, and
/// <see cref="StepProcess.LostExitCode"/> when another reaper took the status (see there).
/// </param>
/// <param name="TimedOut">The timeout killed the step.</param>
/// <param name="Killed"><see cref="StepProcess.Kill"/> killed the step.</param>
/// <param name="Duration">From the start request to the end of its output.</param>
/// <param name="StartError">Why nothing was started, e.g. "shell 'pwsh' not found".</param>
public sealed record StepExit(int ExitCode, bool TimedOut, bool Killed, TimeSpan Duration, string? StartError);
