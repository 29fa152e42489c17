using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace Loom.Cluster.Tests.Support;

/// <summary>
/// The in-process test clusters' mailbox: every Loom message delivered to any actor is first serialized with the
/// serializer bound to it and deserialized again, and the actor gets the copy, as Akka's <c>serialize-messages = on</c>
/// does. That setting itself cannot be used: Akka.NET 1.5.73's own DData <c>ReadRepair</c> and Akka.Persistence.Sql's
/// <c>WriteFinished</c> fail its check, so it drops them and the cluster never comes up. Messages of other namespaces
/// (Akka's) pass as they are. What fails is recorded per actor system (<see cref="FailuresOf"/>) and fails the test.
/// </summary>
public sealed class VerifyingMailbox(Settings settings, Config config) : MailboxType(settings, config), IProducesMessageQueue<VerifyingMailbox.Queue>
{
    private static readonly ConditionalWeakTable<ActorSystem, ConcurrentQueue<string>> Failures = new();

    /// <summary>The HOCON that gives every actor of a system this mailbox (stashing actors ask for a deque: this is one).</summary>
    public const string Hocon = """
        akka.actor.default-mailbox.mailbox-type = "Loom.Cluster.Tests.Support.VerifyingMailbox, Loom.Cluster.Tests"
        akka.actor.mailbox.unbounded-queue-based.mailbox-type = "Loom.Cluster.Tests.Support.VerifyingMailbox, Loom.Cluster.Tests"
        akka.actor.mailbox.unbounded-deque-based.mailbox-type = "Loom.Cluster.Tests.Support.VerifyingMailbox, Loom.Cluster.Tests"
        """;

    /// <summary>Every Loom message that did not survive the round trip in this system, with why.</summary>
    public static IReadOnlyList<string> FailuresOf(ActorSystem system) => Failures.TryGetValue(system, out var failures) ? failures.ToList() : [];

    public override IMessageQueue Create(IActorRef owner, ActorSystem system) => new Queue(new UnboundedDequeMessageQueue(), system);

    public sealed class Queue(UnboundedDequeMessageQueue inner, ActorSystem? system) : IMessageQueue, IUnboundedDequeBasedMessageQueueSemantics
    {
        public bool HasMessages => inner.HasMessages;

        public int Count => inner.Count;

        public void Enqueue(IActorRef receiver, Envelope envelope) => inner.Enqueue(receiver, Verified(envelope));

        // A stashed message goes back to the front: it was verified when it first came.
        public void EnqueueFirst(Envelope envelope) => inner.EnqueueFirst(envelope);

        public bool TryDequeue(out Envelope envelope) => inner.TryDequeue(out envelope);

        public void CleanUp(IActorRef owner, IMessageQueue deadletters) => inner.CleanUp(owner, deadletters);

        private Envelope Verified(Envelope envelope)
        {
            var message = WrappedMessage.Unwrap(envelope.Message);
            if (system is not ExtendedActorSystem extended || message is INoSerializationVerificationNeeded
                || message.GetType().FullName?.StartsWith("Loom.", StringComparison.Ordinal) != true)
                return envelope;
            try
            {
                var copy = RoundTrip(extended, message);
                // A wrapped message (e.g. in a sharding envelope) is checked but cannot be put back together around its copy.
                return ReferenceEquals(message, envelope.Message) ? new Envelope(copy, envelope.Sender) : envelope;
            }
            catch (Exception e)
            {
                Failures.GetOrCreateValue(system).Enqueue($"{message.GetType().FullName}: {e.GetBaseException().Message}");
                return envelope;
            }
        }

        private static object RoundTrip(ExtendedActorSystem system, object message)
        {
            var serialization = system.Serialization;
            var serializer = serialization.FindSerializerFor(message);
            // Actor references are written with this system's address, as on the wire.
            var bytes = Akka.Serialization.Serialization.WithTransport(system, () => serializer.ToBinary(message));
            return serialization.Deserialize(bytes, serializer.Identifier, Akka.Serialization.Serialization.ManifestFor(serializer, message));
        }
    }
}
