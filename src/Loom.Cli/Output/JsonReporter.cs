using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Loom.Actors.Protocol;

namespace Loom.Cli.Output;

/// <summary>NDJSON: one object per event and output line, <c>"event"</c> naming its kind. Never escape codes.</summary>
public sealed class JsonReporter(TextWriter output) : IRunReporter
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public void Handle(IRunNotification notification)
    {
        // The acceptance carries an actor reference, which means nothing outside this process.
        if (notification is LoomProtocol.RunAccepted)
            return;
        var type = notification.GetType();
        if (JsonSerializer.SerializeToNode(notification, type, Options) is not JsonObject body)
            return;
        var line = new JsonObject { ["event"] = JsonNamingPolicy.CamelCase.ConvertName(type.Name) };
        foreach (var (key, value) in body.ToList())
        {
            body.Remove(key);
            line[key] = value;
        }
        output.WriteLine(line.ToJsonString());
    }

    public void Flush() => output.Flush();

    public ValueTask DisposeAsync()
    {
        output.Flush();
        return ValueTask.CompletedTask;
    }
}
