using System.Collections.Concurrent;
using Akka.Event;

namespace Loom.Cluster.Tests.Storage;

/// <summary>An Akka log that keeps what it is told, from any thread.</summary>
public sealed class RecordingLog() : LoggingAdapterBase(DefaultLogMessageFormatter.Instance)
{
    public ConcurrentQueue<(LogLevel Level, string Message)> Entries { get; } = new();

    public IEnumerable<string> Warnings => Entries.Where(e => e.Level == LogLevel.WarningLevel).Select(e => e.Message);

    public override bool IsDebugEnabled => true;
    public override bool IsInfoEnabled => true;
    public override bool IsWarningEnabled => true;
    public override bool IsErrorEnabled => true;

    protected override void NotifyLog(LogLevel logLevel, object message, Exception? cause = null) =>
        Entries.Enqueue((logLevel, message.ToString() ?? ""));
}
