using System.Text;
using Akka.Actor;
using Loom.Actors.Protocol;

namespace Loom.Cluster.Protocol;

/// <summary>Marker of every message of Loom's cluster layer that may cross the wire: bound to <c>ClusterMessageSerializer</c>.</summary>
public interface ILoomClusterMessage;

/// <summary>
/// A request from outside the cluster (<c>loom run --cluster</c>): a node with a cluster secret (<c>--cluster-secret-file</c>)
/// answers it only when <see cref="Secret"/> is that secret, and otherwise answers <see cref="ClusterProtocol.Refused"/>.
/// The records that carry it leave it out of their <c>ToString</c>, so no log line ever shows it.
/// </summary>
public interface IClientRequest : ILoomClusterMessage
{
    /// <summary>The cluster's shared secret as the client has it; null when the client has none.</summary>
    string? Secret { get; }
}

/// <summary>A message for one runner entity, routed by the runner shard region.</summary>
public interface IRunnerEnvelope : ILoomClusterMessage
{
    /// <summary>The node that runs the entity: its <c>NodeShards.ShardIdOf</c>.</summary>
    string ShardId { get; }

    /// <summary><c>RunnerEntity.EntityIdOf(run, unit, attempt)</c>.</summary>
    string EntityId { get; }
}

/// <summary>Messages between the run coordinator (a cluster singleton), its dispatcher, the runner entities and submitters.</summary>
public static class ClusterProtocol
{
    /// <summary>Start one job attempt on the node of <paramref name="ShardId"/>; it reports to <paramref name="Scheduler"/>.</summary>
    /// <param name="Workspace">What the run's files are: <c>cluster:&lt;manifest hash&gt;</c>, or empty for none.</param>
    public sealed record StartRunner(string ShardId, string EntityId, string RunId, string Workspace, JobSpec Job, IActorRef Scheduler, IActorRef Dispatcher) : IRunnerEnvelope;

    /// <summary>Cancel the attempt (its steps with <c>always()</c> still run), like <c>CancelJob</c> to a local runner.</summary>
    public sealed record CancelRunner(string ShardId, string EntityId, string Reason) : IRunnerEnvelope;

    /// <summary>
    /// From the dispatcher to the runner entity of a try placed a while ago. An entity that does not know the try (this
    /// message started it: the try's start, or its report, was lost on the way) answers <see cref="RunnerUnknown"/>.
    /// </summary>
    public sealed record CheckRunner(string ShardId, string EntityId, string RunId, string UnitId, int Attempt) : IRunnerEnvelope;

    public sealed record RunnerUnknown(string RunId, string UnitId, int Attempt, string EntityId) : ILoomClusterMessage;

    /// <summary>From a runner entity to the dispatcher: it will not run the attempt (its node is full, draining, or not the node asked for).</summary>
    /// <param name="NodeClosed">The node takes no more jobs (it drains before it stops).</param>
    public sealed record RunnerRefused(string RunId, string UnitId, int Attempt, string Reason, bool NodeClosed = false) : ILoomClusterMessage;

    /// <summary>
    /// From a submitter (<c>loom run --cluster</c>) through its ClusterClient: run this workflow. Answered with the run's
    /// notifications (<see cref="LoomProtocol.RunAccepted"/> or <see cref="LoomProtocol.RunRejected"/> first) to the sender
    /// while it keeps sending <see cref="FollowRun"/>.
    /// </summary>
    /// <param name="WorkflowText">The file as the submitter has it.</param>
    /// <param name="WorkflowPath">Where the file is on the submitter's machine (full path): a <c>.loom.yml</c> without <c>name:</c> is named after its folder.</param>
    /// <param name="DisplayPath">The path as the user typed it: errors name the file this way.</param>
    /// <param name="Workspace">The run's files (<c>cluster:&lt;manifest hash&gt;</c>), uploaded before; empty for none.</param>
    public sealed record SubmitRun(
        string RunId,
        string WorkflowText,
        string WorkflowPath,
        string DisplayPath,
        string Workspace,
        IReadOnlyList<string> Jobs,
        int? MaxParallel,
        RunContexts Contexts,
        bool SkipUses,
        bool NoCache,
        bool Follow) : IClientRequest
    {
        public string? Secret { get; init; }

        /// <summary>Jobs taken as done from an earlier run (<c>loom ctl retry</c>), with their results and outputs.</summary>
        public IReadOnlyDictionary<string, CarriedJob> Carried { get; init; } = CarriedJob.None;

        // The workflow's text, its contexts and the secret stay out of log lines.
        private bool PrintMembers(StringBuilder builder)
        {
            builder.Append("RunId = ").Append(RunId).Append(", WorkflowPath = ").Append(WorkflowPath).Append(", DisplayPath = ").Append(DisplayPath).Append(", Workspace = ").Append(Workspace)
                .Append(", Jobs = [").AppendJoin(", ", Jobs).Append("], Follow = ").Append(Follow);
            return true;
        }
    }

    /// <summary>
    /// Sent every few seconds by a submitter that shows a run: the coordinator sends the run's notifications to the sender
    /// (after a hand-over, to the new coordinator's sender) and answers <see cref="Following"/>, which keeps the client's
    /// tunnel open while the run is silent.
    /// </summary>
    public sealed record FollowRun(string RunId) : IClientRequest
    {
        public string? Secret { get; init; }

        /// <summary>The relay whose notices the follower has (<see cref="RunNotice.Relay"/>); null before the first.</summary>
        public string? Relay { get; init; }

        /// <summary>The follower has every notice of <see cref="Relay"/> up to this one, in order.</summary>
        public long After { get; init; }

        /// <summary>The follower saw a gap: send again what <see cref="Relay"/> keeps after <see cref="After"/>.</summary>
        public bool Replay { get; init; }

        private bool PrintMembers(StringBuilder builder)
        {
            builder.Append("RunId = ").Append(RunId).Append(", Relay = ").Append(Relay).Append(", After = ").Append(After).Append(", Replay = ").Append(Replay);
            return true;
        }
    }

    /// <param name="Finished">The run's result when it is over (the submitter may have missed its last notification).</param>
    public sealed record Following(string RunId, bool Known, Loom.Core.Model.Result? Finished, TimeSpan? Duration) : ILoomClusterMessage
    {
        /// <summary>The relay that answered (null when the coordinator answered for a run that is over).</summary>
        public string? Relay { get; init; }

        /// <summary>The number of the latest notice the relay sent; a follower that has fewer lost some on the way.</summary>
        public long Sent { get; init; }
    }

    /// <summary>
    /// One of a run's notifications, numbered by the relay that sends it (<paramref name="Relay"/>: one per coordinator
    /// incarnation). Remoting delivers at most once: the follower shows each notice once and in order, and asks the relay
    /// again (<see cref="FollowRun.Replay"/>) for what went missing, e.g. into the tunnel of a node that died.
    /// </summary>
    public sealed record RunNotice(string RunId, string Relay, long Seq, Serialized Notification) : ILoomClusterMessage;

    /// <summary>The relay no longer keeps its notices up to <paramref name="Through"/>: the follower goes on after them.</summary>
    public sealed record NoticesDropped(string RunId, string Relay, long Through) : ILoomClusterMessage;

    /// <summary>A message inside another, in Akka's own form: its serializer, manifest and bytes.</summary>
    public sealed record Serialized(int SerializerId, string Manifest, byte[] Bytes)
    {
        public static Serialized Of(Akka.Serialization.Serialization serialization, object message)
        {
            var serializer = serialization.FindSerializerFor(message);
            return new Serialized(serializer.Identifier, Akka.Serialization.Serialization.ManifestFor(serializer, message), serializer.ToBinary(message));
        }

        public object Open(Akka.Serialization.Serialization serialization) => serialization.Deserialize(Bytes, SerializerId, Manifest);
    }

    public sealed record CancelRun(string RunId, string Reason) : IClientRequest
    {
        public string? Secret { get; init; }

        private bool PrintMembers(StringBuilder builder)
        {
            builder.Append("RunId = ").Append(RunId).Append(", Reason = ").Append(Reason);
            return true;
        }
    }

    /// <summary>Which of these blobs (SHA-256 hex) the cluster lacks; answered with <see cref="BlobsMissing"/>.</summary>
    public sealed record FindMissingBlobs(IReadOnlyList<string> Hashes) : IClientRequest
    {
        public string? Secret { get; init; }

        private bool PrintMembers(StringBuilder builder)
        {
            builder.Append("Hashes = ").Append(Hashes.Count);
            return true;
        }
    }

    public sealed record BlobsMissing(IReadOnlyList<string> Hashes) : ILoomClusterMessage;

    /// <summary>A part of a blob (the wire takes frames of 128 KB): stored once all parts are in and its hash checks; answered with <see cref="BlobStored"/> after the last.</summary>
    public sealed record BlobChunk(string Hash, long Offset, long Length, byte[] Data) : IClientRequest
    {
        public string? Secret { get; init; }

        private bool PrintMembers(StringBuilder builder)
        {
            builder.Append("Hash = ").Append(Hash).Append(", Offset = ").Append(Offset).Append(", Length = ").Append(Length).Append(", Data = ").Append(Data.Length).Append(" bytes");
            return true;
        }
    }

    /// <param name="Error">Null when stored.</param>
    public sealed record BlobStored(string Hash, string? Error) : ILoomClusterMessage;

    /// <summary>
    /// The answer to an <see cref="IClientRequest"/> a node does not serve: it has a cluster secret and the request carried
    /// none or another. Nothing of the request was acted on.
    /// </summary>
    /// <param name="Reason">One line for the client to print.</param>
    public sealed record Refused(string Reason) : ILoomClusterMessage;
}
