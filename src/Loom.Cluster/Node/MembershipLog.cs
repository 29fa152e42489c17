using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Loom.Actors;

namespace Loom.Cluster.Node;

/// <summary>
/// Logs the cluster's membership as this node sees it, one line a change: <c>member up ADDRESS (uid N, roles ...)</c>,
/// <c>member removed ...</c>, <c>member unreachable ...</c>, and <c>node up ADDRESS; members: ...</c> when this node is Up.
/// Operators read it in the node's log; the real-process tests read it on stderr to tell one cluster from two.
/// </summary>
public sealed class MembershipLog : UntypedActor
{
    private readonly Akka.Cluster.Cluster cluster = Akka.Cluster.Cluster.Get(Context.System);
    private readonly ILoggingAdapter log = Context.GetLogger();

    // Kept from the events themselves: Cluster.State may lag behind the event being handled.
    private readonly HashSet<UniqueAddress> up = [];

    public static Props Props() => ActorProps.Of(() => new MembershipLog());

    protected override void PreStart() =>
        cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));

    protected override void PostStop() => cluster.Unsubscribe(Self);

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case ClusterEvent.MemberUp memberUp:
                log.Info("member up {0} (uid {1}, roles {2})", memberUp.Member.Address, memberUp.Member.UniqueAddress.Uid, string.Join(",", memberUp.Member.Roles));
                up.Add(memberUp.Member.UniqueAddress);
                if (memberUp.Member.UniqueAddress.Equals(cluster.SelfUniqueAddress))
                    log.Info("node up {0}; members: {1}", cluster.SelfAddress, string.Join(", ", up.Select(u => u.Address.ToString()).Order(StringComparer.Ordinal)));
                break;
            case ClusterEvent.MemberRemoved removed:
                up.Remove(removed.Member.UniqueAddress);
                log.Info("member removed {0} (uid {1}, was {2})", removed.Member.Address, removed.Member.UniqueAddress.Uid, removed.PreviousStatus);
                break;
            case ClusterEvent.MemberLeft left:
                log.Info("member leaving {0} (uid {1})", left.Member.Address, left.Member.UniqueAddress.Uid);
                break;
            case ClusterEvent.MemberExited exited:
                log.Info("member exiting {0} (uid {1})", exited.Member.Address, exited.Member.UniqueAddress.Uid);
                break;
            case ClusterEvent.MemberDowned downed:
                log.Info("member downed {0} (uid {1})", downed.Member.Address, downed.Member.UniqueAddress.Uid);
                break;
            case ClusterEvent.UnreachableMember unreachable:
                log.Info("member unreachable {0} (uid {1})", unreachable.Member.Address, unreachable.Member.UniqueAddress.Uid);
                break;
            case ClusterEvent.ReachableMember reachable:
                log.Info("member reachable {0} (uid {1})", reachable.Member.Address, reachable.Member.UniqueAddress.Uid);
                break;
            case ClusterEvent.IMemberEvent:
                break;
            default:
                Unhandled(message);
                break;
        }
    }
}
