using Loom.Actors.Protocol;
using Loom.Cluster.Protocol;

namespace Loom.Cluster.Client;

/// <summary>
/// A follower's side of a run's numbered notices (<see cref="ClusterProtocol.RunNotice"/>): hands each notification on
/// once and in order, keeps what arrives after a gap until the gap is filled, and says when to ask the relay again
/// (<see cref="ClusterProtocol.FollowRun.Replay"/>). A new relay (the coordinator moved) starts its own numbering.
/// </summary>
public sealed class NoticeSequencer(NoticeSequencer.Opener open)
{
    /// <summary>Turns a notice back into its notification (with the follower's actor system's serialization).</summary>
    public delegate IRunNotification Opener(ClusterProtocol.Serialized notification);

    private readonly SortedDictionary<long, ClusterProtocol.Serialized> ahead = [];
    private readonly HashSet<string> pastRelays = new(StringComparer.Ordinal);
    private long askedAfter = -1;

    /// <summary>The relay whose notices this follower has; null before the first.</summary>
    public string? Relay { get; private set; }

    /// <summary>Every notice of <see cref="Relay"/> up to this one has been handed on.</summary>
    public long Last { get; private set; }

    /// <summary>What to hand on now, in order (nothing when the notice is a repeat, or comes after a gap).</summary>
    public IReadOnlyList<IRunNotification> Accept(ClusterProtocol.RunNotice notice)
    {
        if (!Follows(notice.Relay) || notice.Seq <= Last)
            return [];
        ahead.TryAdd(notice.Seq, notice.Notification);
        return TakeInOrder();
    }

    /// <summary>The relay keeps nothing up to <see cref="ClusterProtocol.NoticesDropped.Through"/>: go on after it.</summary>
    public IReadOnlyList<IRunNotification> Skip(ClusterProtocol.NoticesDropped dropped)
    {
        if (!Follows(dropped.Relay) || dropped.Through <= Last)
            return [];
        foreach (var seq in ahead.Keys.Where(s => s <= dropped.Through).ToList())
            ahead.Remove(seq);
        Last = dropped.Through;
        return TakeInOrder();
    }

    /// <summary>
    /// Whether to ask the relay again: notices arrived after a gap, or the relay's answer to a follow says it sent more
    /// than arrived (the answer travels behind its notices, so they are lost, not late). After a notice, asked once for
    /// each place the follower is stuck at; after each answer, again (the ask itself may have been lost).
    /// </summary>
    public bool ShouldAskAgain(ClusterProtocol.Following? answer = null)
    {
        var behind = ahead.Count > 0
            || (answer is { Relay: { } relay, Sent: var sent } && (relay == Relay ? sent > Last : sent > 0 && !pastRelays.Contains(relay)));
        if (!behind || (answer is null && askedAfter == Last))
            return false;
        askedAfter = Last;
        return true;
    }

    /// <summary>A notice of another relay than <see cref="Relay"/> starts that relay's numbering; a past relay's is ignored.</summary>
    private bool Follows(string relay)
    {
        if (relay == Relay)
            return true;
        if (pastRelays.Contains(relay))
            return false;
        if (Relay is not null)
            pastRelays.Add(Relay);
        Relay = relay;
        Last = 0;
        askedAfter = -1;
        ahead.Clear();
        return true;
    }

    private List<IRunNotification> TakeInOrder()
    {
        var ready = new List<IRunNotification>();
        while (ahead.Remove(Last + 1, out var next))
        {
            Last++;
            ready.Add(open(next));
        }
        return ready;
    }
}
