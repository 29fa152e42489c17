namespace Loom.Cli.Commands;

internal static class SignalHandling
{
    /// <summary>
    /// Cancels from a signal handler, which runs on a thread of its own: a signal that arrives while the command
    /// is returning finds its token sources disposed, and an exception there would abort the process.
    /// </summary>
    public static void TryCancel(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The command is already ending.
        }
    }
}
