using Serilog.Core;
using Serilog.Events;

namespace Loom.Cluster.Admin;

/// <summary>
/// The node's last log events, kept in memory for <c>loom ctl log peek</c> (a Serilog sink beside the console and the
/// file): the newest <see cref="Capacity"/> are kept, older ones drop out.
/// </summary>
public sealed class RecentLogs(int capacity = RecentLogs.DefaultCapacity) : ILogEventSink
{
    public const int DefaultCapacity = 2000;

    private readonly Queue<AdminProtocol.LogEntry> entries = new(capacity);
    private readonly Lock gate = new();

    public int Capacity { get; } = capacity;

    public void Emit(LogEvent logEvent)
    {
        var entry = new AdminProtocol.LogEntry(logEvent.Timestamp, logEvent.Level.ToString(), logEvent.RenderMessage(System.Globalization.CultureInfo.InvariantCulture),
            logEvent.Exception?.ToString());
        lock (gate)
        {
            if (entries.Count == Capacity)
                entries.Dequeue();
            entries.Enqueue(entry);
        }
    }

    /// <summary>The newest <paramref name="count"/> events at <paramref name="minimum"/> or above, oldest first.</summary>
    public IReadOnlyList<AdminProtocol.LogEntry> Peek(int count, LogEventLevel minimum)
    {
        lock (gate)
            return entries.Where(e => Enum.Parse<LogEventLevel>(e.Level) >= minimum).TakeLast(count).ToList();
    }

    /// <summary>A level as an operator may write it (<c>warn</c>, <c>Warning</c>, <c>error</c>...); null when it is none.</summary>
    public static LogEventLevel? ParseLevel(string text) => text.ToLowerInvariant() switch
    {
        "verbose" or "trace" => LogEventLevel.Verbose,
        "debug" => LogEventLevel.Debug,
        "information" or "info" => LogEventLevel.Information,
        "warning" or "warn" => LogEventLevel.Warning,
        "error" => LogEventLevel.Error,
        "fatal" => LogEventLevel.Fatal,
        _ => null,
    };
}
