using System.Collections.Frozen;
using System.Runtime.Serialization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Hosting;
using Akka.Serialization;
using Loom.Actors.Serialization;
using Loom.Cluster.Protocol;

namespace Loom.Cluster.Serialization;

/// <summary>Every <see cref="ILoomClusterMessage"/> as source-generated JSON, the type's short name as manifest: never Akka's Newtonsoft fallback.</summary>
public sealed class ClusterMessageSerializer : SerializerWithStringManifest
{
    public const int Id = 1718;

    private JsonSerializerOptions? options;

    public ClusterMessageSerializer(ExtendedActorSystem system) : base(system)
    {
    }

    public override int Identifier => Id;

    /// <summary>Every message type this serializer knows; a test round-trips each.</summary>
    public static IEnumerable<Type> MessageTypes => Manifests.TypesByManifest.Values;

    public override byte[] ToBinary(object obj) => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), Options);

    public override object FromBinary(byte[] bytes, string manifest) =>
        Manifests.TypesByManifest.TryGetValue(manifest, out var type)
            ? JsonSerializer.Deserialize(bytes, type, Options) ?? throw new SerializationException($"null payload for {manifest}")
            : throw new SerializationException($"unknown Loom cluster message manifest '{manifest}'");

    private JsonSerializerOptions Options => options ??= new JsonSerializerOptions
    {
        TypeInfoResolver = ClusterJsonContext.Default,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase), new ActorRefJsonConverter(system) },
    };

    public override string Manifest(object o) => MessageManifest.Of(o.GetType());

    private static class Manifests
    {
        public static readonly FrozenDictionary<string, Type> TypesByManifest = typeof(ILoomClusterMessage).Assembly.GetTypes()
            .Where(t => typeof(ILoomClusterMessage).IsAssignableFrom(t) && t is { IsInterface: false, IsAbstract: false })
            .ToFrozenDictionary(MessageManifest.Of);
    }
}

[JsonSourceGenerationOptions(GenerationMode = JsonSourceGenerationMode.Metadata)]
[JsonSerializable(typeof(ClusterProtocol.StartRunner))]
[JsonSerializable(typeof(ClusterProtocol.CancelRunner))]
[JsonSerializable(typeof(ClusterProtocol.RunnerRefused))]
[JsonSerializable(typeof(ClusterProtocol.SubmitRun))]
[JsonSerializable(typeof(ClusterProtocol.FollowRun))]
[JsonSerializable(typeof(ClusterProtocol.Following))]
[JsonSerializable(typeof(ClusterProtocol.CancelRun))]
[JsonSerializable(typeof(ClusterProtocol.FindMissingBlobs))]
[JsonSerializable(typeof(ClusterProtocol.BlobsMissing))]
[JsonSerializable(typeof(ClusterProtocol.BlobChunk))]
[JsonSerializable(typeof(ClusterProtocol.BlobStored))]
[JsonSerializable(typeof(ClusterProtocol.Refused))]
[JsonSerializable(typeof(Coordination.Dispatcher.GetPlacements))]
[JsonSerializable(typeof(Coordination.Dispatcher.Placements))]
internal sealed partial class ClusterJsonContext : JsonSerializerContext;

public static class ClusterSerializationExtensions
{
    public static AkkaConfigurationBuilder WithLoomClusterSerialization(this AkkaConfigurationBuilder builder) =>
        builder.WithCustomSerializer("loom-cluster", [typeof(ILoomClusterMessage)], system => new ClusterMessageSerializer(system));
}
