using Loom.Actors.Protocol;

namespace Loom.Cli.Output;

/// <summary>Shows a run to whoever started it: a live terminal view, plain lines, or NDJSON.</summary>
public interface IRunReporter : IAsyncDisposable
{
    void Handle(IRunNotification notification);

    /// <summary>Called whenever no more notifications are waiting: write out what is buffered.</summary>
    void Flush();
}
