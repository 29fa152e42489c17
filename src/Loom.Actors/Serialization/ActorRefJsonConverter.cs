using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;

namespace Loom.Actors.Serialization;

/// <summary>An actor reference in a JSON-serialized message: its full path, resolved again on the receiving system.</summary>
public sealed class ActorRefJsonConverter(ExtendedActorSystem system) : JsonConverter<IActorRef>
{
    public override IActorRef Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.GetString() is { } path ? system.Provider.ResolveActorRef(path) : ActorRefs.Nobody;

    public override void Write(Utf8JsonWriter writer, IActorRef value, JsonSerializerOptions options) =>
        writer.WriteStringValue(Akka.Serialization.Serialization.SerializedActorPath(value));
}

/// <summary>How Loom's serializers name a message type: its short name, with its protocol class's (<c>SchedulerProtocol.Start</c>).</summary>
public static class MessageManifest
{
    // Every persisted event asks; a type's name is reflection (slow under NativeAOT), so each is built once.
    private static readonly ConcurrentDictionary<Type, string> Names = new();

    public static string Of(Type type) => Names.GetOrAdd(type, static type => type.DeclaringType is { } outer ? $"{outer.Name}.{type.Name}" : type.Name);
}
