using Akka.Actor;
using Akka.Event;
using Loom.Cluster.Protocol;

namespace Loom.Cluster.Hosting;

/// <summary>
/// The actor clients reach through the cluster client receptionist, in front of the one that serves them: with a
/// <see cref="ClusterSecret"/> it forwards (keeping the sender) only <see cref="IClientRequest"/>s that carry the secret,
/// and answers anything else with <see cref="ClusterProtocol.Refused"/> and a warning in the node's log (which never
/// shows what was presented). Without a secret it forwards everything.
/// </summary>
/// <remarks>
/// This guards the receptionist's way in, not the actor system: a peer that can associate with the node at the Akka
/// level can address actors behind it directly (docs/security.md).
/// </remarks>
public sealed class SecretCheck : ReceiveActor
{
    public SecretCheck(IActorRef target, ClusterSecret? secret)
    {
        var log = Context.GetLogger();
        ReceiveAny(message =>
        {
            if (secret is null || message is IClientRequest request && secret.Accepts(request.Secret))
            {
                target.Forward(message);
                return;
            }
            var carried = message is IClientRequest { Secret: not null } ? "a wrong cluster secret" : "no cluster secret";
            log.Warning("Refused {0} from {1}: it carried {2}", message.GetType().Name, ClientOf(Sender), carried);
            Sender.Tell(new ClusterProtocol.Refused($"it carried {carried}"));
        });
    }

    public static Props Props(IActorRef target, ClusterSecret? secret) => Loom.Actors.ActorProps.Of(() => new SecretCheck(target, secret));

    /// <summary>
    /// Who sent it, as the address of its actor system: a ClusterClient's request comes from the receptionist's response
    /// tunnel for the client's actor, named after that actor's path, escaped
    /// (<c>/system/receptionist/akka.tcp%3A%2F%2Floom-submit%40127.0.0.1%3A40125%2Ftemp%2Fd</c>). A submitter's address is
    /// the one it calls itself (127.0.0.1 and a free port), not where its connection came from.
    /// </summary>
    internal static string ClientOf(IActorRef sender)
    {
        if (sender.IsNobody())
            return "no sender";
        var path = sender.Path;
        if (path.Parent.Name == "receptionist" && ActorPath.TryParse(Uri.UnescapeDataString(path.Name), out var client))
            return client.Address.ToString();
        return path.Address.HasLocalScope ? path.ToString() : path.Address.ToString();
    }
}
