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
[JsonSerializable(typeof(ClusterProtocol.RunNotice))]
[JsonSerializable(typeof(ClusterProtocol.CheckRunner))]
[JsonSerializable(typeof(ClusterProtocol.RunnerUnknown))]
[JsonSerializable(typeof(ClusterProtocol.NoticesDropped))]
[JsonSerializable(typeof(ClusterProtocol.CancelRun))]
[JsonSerializable(typeof(ClusterProtocol.FindMissingBlobs))]
[JsonSerializable(typeof(ClusterProtocol.BlobsMissing))]
[JsonSerializable(typeof(ClusterProtocol.BlobChunk))]
[JsonSerializable(typeof(ClusterProtocol.BlobStored))]
[JsonSerializable(typeof(ClusterProtocol.Refused))]
[JsonSerializable(typeof(Coordination.Dispatcher.GetPlacements))]
[JsonSerializable(typeof(Coordination.Dispatcher.Placements))]
[JsonSerializable(typeof(Admin.AdminProtocol.Refused), TypeInfoPropertyName = "AdminRefused")]
[JsonSerializable(typeof(Admin.AdminProtocol.Done), TypeInfoPropertyName = "AdminDone")]
[JsonSerializable(typeof(Admin.AdminProtocol.GetMembers), TypeInfoPropertyName = "AdminGetMembers")]
[JsonSerializable(typeof(Admin.AdminProtocol.Members), TypeInfoPropertyName = "AdminMembers")]
[JsonSerializable(typeof(Admin.AdminProtocol.LeaveMember), TypeInfoPropertyName = "AdminLeaveMember")]
[JsonSerializable(typeof(Admin.AdminProtocol.DownMember), TypeInfoPropertyName = "AdminDownMember")]
[JsonSerializable(typeof(Admin.AdminProtocol.TailMembers), TypeInfoPropertyName = "AdminTailMembers")]
[JsonSerializable(typeof(Admin.AdminProtocol.StopTail), TypeInfoPropertyName = "AdminStopTail")]
[JsonSerializable(typeof(Admin.AdminProtocol.MemberChanged), TypeInfoPropertyName = "AdminMemberChanged")]
[JsonSerializable(typeof(Admin.AdminProtocol.GetScheduler), TypeInfoPropertyName = "AdminGetScheduler")]
[JsonSerializable(typeof(Admin.AdminProtocol.SchedulerState), TypeInfoPropertyName = "AdminSchedulerState")]
[JsonSerializable(typeof(Admin.AdminProtocol.GetShards), TypeInfoPropertyName = "AdminGetShards")]
[JsonSerializable(typeof(Admin.AdminProtocol.Shards), TypeInfoPropertyName = "AdminShards")]
[JsonSerializable(typeof(Admin.AdminProtocol.NodeShards), TypeInfoPropertyName = "AdminNodeShards")]
[JsonSerializable(typeof(Admin.AdminProtocol.GetActors), TypeInfoPropertyName = "AdminGetActors")]
[JsonSerializable(typeof(Admin.AdminProtocol.Actors), TypeInfoPropertyName = "AdminActors")]
[JsonSerializable(typeof(Admin.AdminProtocol.NodeActors), TypeInfoPropertyName = "AdminNodeActors")]
[JsonSerializable(typeof(Admin.AdminProtocol.PeekLogs), TypeInfoPropertyName = "AdminPeekLogs")]
[JsonSerializable(typeof(Admin.AdminProtocol.Logs), TypeInfoPropertyName = "AdminLogs")]
[JsonSerializable(typeof(Admin.AdminProtocol.NodeLogs), TypeInfoPropertyName = "AdminNodeLogs")]
[JsonSerializable(typeof(Admin.AdminProtocol.AskNode), TypeInfoPropertyName = "AdminAskNode")]
[JsonSerializable(typeof(Admin.AdminProtocol.ListRuns), TypeInfoPropertyName = "AdminListRuns")]
[JsonSerializable(typeof(Admin.AdminProtocol.RunList), TypeInfoPropertyName = "AdminRunList")]
[JsonSerializable(typeof(Admin.AdminProtocol.GetRun), TypeInfoPropertyName = "AdminGetRun")]
[JsonSerializable(typeof(Admin.AdminProtocol.RunFound), TypeInfoPropertyName = "AdminRunFound")]
[JsonSerializable(typeof(Admin.AdminProtocol.ReadLogs), TypeInfoPropertyName = "AdminReadLogs")]
[JsonSerializable(typeof(Admin.AdminProtocol.LogLines), TypeInfoPropertyName = "AdminLogLines")]
[JsonSerializable(typeof(Admin.AdminProtocol.CancelRun), TypeInfoPropertyName = "AdminCancelRun")]
[JsonSerializable(typeof(Admin.AdminProtocol.ValidateWorkflow), TypeInfoPropertyName = "AdminValidateWorkflow")]
[JsonSerializable(typeof(Admin.AdminProtocol.Validated), TypeInfoPropertyName = "AdminValidated")]
[JsonSerializable(typeof(Admin.AdminProtocol.RetryRun), TypeInfoPropertyName = "AdminRetryRun")]
[JsonSerializable(typeof(Admin.AdminProtocol.Retried), TypeInfoPropertyName = "AdminRetried")]
internal sealed partial class ClusterJsonContext : JsonSerializerContext;

public static class ClusterSerializationExtensions
{
    public static AkkaConfigurationBuilder WithLoomClusterSerialization(this AkkaConfigurationBuilder builder) =>
        builder.WithCustomSerializer("loom-cluster", [typeof(ILoomClusterMessage)], system => new ClusterMessageSerializer(system));
}
