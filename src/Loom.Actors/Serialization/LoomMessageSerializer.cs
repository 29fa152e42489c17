using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Hosting;
using System.Runtime.Serialization;
using Akka.Serialization;
using Loom.Actors.Protocol;

namespace Loom.Actors.Serialization;

/// <summary>
/// Every <see cref="ILoomMessage"/>, with the type's short name as manifest, never through Akka's Newtonsoft
/// default: a run's journaled events and snapshots in a hand-written binary format, other messages as JSON.
/// </summary>
/// <remarks>
/// Akka creates its serializers when the actor system starts, but a single-node <c>loom run</c>
/// never serializes a message: the JSON options and the manifest table are only built on first use.
/// </remarks>
public sealed class LoomMessageSerializer : SerializerWithStringManifest
{
    public const int Id = 1717;

    private JsonSerializerOptions? options;

    public LoomMessageSerializer(ExtendedActorSystem system) : base(system)
    {
    }

    public override int Identifier => Id;

    /// <summary>Every message type this serializer knows; a test round-trips each.</summary>
    public static IEnumerable<Type> MessageTypes => Manifests.TypesByManifest.Values;

    /// <summary>A run's events and snapshots in the journal's binary format (<see cref="RunEventCodec"/>); other messages as JSON.</summary>
    public override byte[] ToBinary(object obj) =>
        RunEventCodec.Handles(obj) ? RunEventCodec.Write(obj) : JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), Options);

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (!Manifests.TypesByManifest.TryGetValue(manifest, out var type))
            throw new SerializationException($"unknown Loom message manifest '{manifest}'");
        if (typeof(IRunEvent).IsAssignableFrom(type) || type == typeof(RunSnapshot))
            return RunEventCodec.Read(type, bytes);
        return JsonSerializer.Deserialize(bytes, type, Options) ?? throw new SerializationException($"null payload for {manifest}");
    }

    // Created by whichever thread needs it first; a spare one from a race is harmless.
    private JsonSerializerOptions Options => options ??= new JsonSerializerOptions
    {
        TypeInfoResolver = LoomJsonContext.Default,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase), new ActorRefJsonConverter(system) },
    };

    public override string Manifest(object o) => MessageManifest.Of(o.GetType());

    // Its own class, so the table is built when a message is first read, not when the serializer is created.
    private static class Manifests
    {
        public static readonly FrozenDictionary<string, Type> TypesByManifest = typeof(ILoomMessage).Assembly.GetTypes()
            .Where(t => typeof(ILoomMessage).IsAssignableFrom(t) && t is { IsInterface: false, IsAbstract: false })
            .ToFrozenDictionary(MessageManifest.Of);
    }
}

public static class LoomSerializationExtensions
{
    public static AkkaConfigurationBuilder WithLoomSerialization(this AkkaConfigurationBuilder builder) =>
        builder.WithCustomSerializer("loom", [typeof(ILoomMessage)], system => new LoomMessageSerializer(system));
}
