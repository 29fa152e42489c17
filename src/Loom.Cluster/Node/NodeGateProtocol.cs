using Akka.Actor;

namespace Loom.Cluster.Node;

/// <summary>
/// Messages to a node's <c>NodeGate</c>: the node-local keeper of its capacity, of the step processes its
/// runners started (so a restarted node kills what its previous incarnation left), and of draining on a graceful stop.
/// Local to a node: never sent over the wire.
/// </summary>
public static class NodeGateProtocol
{
    /// <summary>A runner asks for one of the node's slots; answered <see cref="Granted"/> or <see cref="Refused"/>. The gate watches the sender and frees its slot when it stops.</summary>
    public sealed record Acquire(string EntityId) : INoSerializationVerificationNeeded;

    public sealed record Granted(string EntityId) : INoSerializationVerificationNeeded;

    /// <summary>No slot: the node is full, or <paramref name="Draining"/> (it takes no more jobs).</summary>
    public sealed record Refused(string EntityId, string Reason, bool Draining = false) : INoSerializationVerificationNeeded;

    public sealed record Release(string EntityId) : INoSerializationVerificationNeeded;

    /// <summary>A step process started on this node (recorded on disk until <see cref="ProcessEnded"/>).</summary>
    public sealed record ProcessStarted(string EntityId, int Pid, long StartTicks) : INoSerializationVerificationNeeded;

    public sealed record ProcessEnded(string EntityId, int Pid) : INoSerializationVerificationNeeded;

    /// <summary>Stop granting; answered <see cref="Drained"/> once every slot is free, at the latest after <paramref name="Grace"/> (holders are then sent <see cref="Abandon"/>).</summary>
    public sealed record Drain(TimeSpan Grace) : INoSerializationVerificationNeeded;

    public sealed record Drained : INoSerializationVerificationNeeded
    {
        public static readonly Drained Instance = new();
    }

    /// <summary>To a slot holder when the drain's grace runs out: cancel the job, hand it back to the scheduler as interrupted, stop.</summary>
    public sealed record Abandon(string Reason) : INoSerializationVerificationNeeded;
}
