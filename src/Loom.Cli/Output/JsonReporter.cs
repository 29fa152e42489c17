using System.Buffers;
using System.Text;
using System.Text.Json;
using Loom.Actors.Client;
using Loom.Actors.Protocol;

namespace Loom.Cli.Output;

/// <summary>
/// NDJSON: one object per event and output line as <see cref="RunNotificationJson"/> writes it (the web view's event
/// stream is the same), with one reused <see cref="Utf8JsonWriter"/>. Never escape codes.
/// </summary>
public sealed class JsonReporter(TextWriter output) : IRunReporter
{
    private readonly ArrayBufferWriter<byte> buffer = new(512);
    private Utf8JsonWriter? json;

    public void Handle(IRunNotification notification)
    {
        buffer.ResetWrittenCount();
        var writer = json ??= new Utf8JsonWriter(buffer);
        writer.Reset(buffer);
        if (!Write(writer, notification))
            return;
        writer.Flush();
        output.WriteLine(Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    public void Flush() => output.Flush();

    public ValueTask DisposeAsync()
    {
        output.Flush();
        json?.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Writes one notification as an object; false for one that is not shown (the acceptance).</summary>
    internal static bool Write(Utf8JsonWriter writer, IRunNotification notification) =>
        notification is not LoomProtocol.RunAccepted && RunNotificationJson.Write(writer, notification);
}
