using Akka.Actor;
using Loom.Actors;
using Loom.Actors.Protocol;
using Loom.Cluster.Protocol;

namespace Loom.Cluster.Client;

/// <summary>
/// Submits a run to the coordinator and hands its notifications on, once each and in order (<see cref="NoticeSequencer"/>);
/// every couple of seconds tells the coordinator it still follows, which finds the coordinator again after a hand-over,
/// keeps a cluster client's tunnel open while the run is silent, and brings back what was lost on the way. Used by
/// <c>loom run --cluster</c> (through a ClusterClient) and by <see cref="ClusterLoomClient"/> (through the coordinator proxy).
/// </summary>
internal sealed class RunFollower : ReceiveActor, IWithTimers
{
    private static readonly TimeSpan FollowEvery = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan LostAfter = TimeSpan.FromSeconds(120);
    private readonly Action<object> toCoordinator;
    private readonly ClusterProtocol.SubmitRun submit;
    private readonly Action<IRunNotification> hand;
    private readonly Action? ended;
    private readonly NoticeSequencer sequencer;
    private DateTimeOffset lastHeard = DateTimeOffset.UtcNow;
    private bool held;

    /// <param name="toCoordinator">Sends a message to the run coordinator (called from this actor, so it is the sender).</param>
    /// <param name="submit">With the secret, if any, which every <see cref="ClusterProtocol.FollowRun"/> carries too.</param>
    /// <param name="ended">Called once the run's last notification was handed on.</param>
    /// <param name="refusal">The line to show when a node refuses the client (a cluster secret); null where none can.</param>
    public RunFollower(Action<object> toCoordinator, ClusterProtocol.SubmitRun submit, Action<IRunNotification> hand, Action? ended, Func<ClusterProtocol.Refused, string>? refusal)
    {
        this.toCoordinator = toCoordinator;
        this.submit = submit;
        this.hand = hand;
        this.ended = ended;
        sequencer = new NoticeSequencer(serialized => (IRunNotification)serialized.Open(Context.System.Serialization));
        Receive<ClusterProtocol.Refused>(refused =>
        {
            hand(new LoomProtocol.RunRejected(submit.RunId, [refusal?.Invoke(refused) ?? refused.Reason]));
            End();
        });
        Receive<ClusterProtocol.RunNotice>(notice =>
        {
            lastHeard = DateTimeOffset.UtcNow;
            Deliver(sequencer.Accept(notice));
            if (sequencer.ShouldAskAgain())
                Follow(replay: true);
        });
        Receive<ClusterProtocol.NoticesDropped>(dropped => Deliver(sequencer.Skip(dropped)));
        // The coordinator's own answers (a run id already taken) come as they are.
        Receive<IRunNotification>(notification => Deliver([notification]));
        Receive<ClusterProtocol.Following>(following =>
        {
            lastHeard = DateTimeOffset.UtcNow;
            // Held runs are not journaled: a new coordinator knows nothing of this one, which waits again there.
            if (!following.Known && held)
            {
                held = false;
                toCoordinator(submit);
                return;
            }
            // The run ended while this follower was not heard (a hand-over): its result is all there is to show.
            if (following.Finished is { } result)
            {
                hand(new RunEvents.RunFinished(result, following.Duration ?? TimeSpan.Zero, DateTimeOffset.UtcNow));
                End();
            }
            else if (sequencer.ShouldAskAgain(following))
                Follow(replay: true);
        });
        Receive<FollowTick>(_ =>
        {
            if (DateTimeOffset.UtcNow - lastHeard > LostAfter)
            {
                hand(new LoomProtocol.RunRejected(submit.RunId, [$"no word from the cluster about run {submit.RunId} for {LostAfter.TotalSeconds:0} s; it may still be going on"]));
                End();
                return;
            }
            Follow(replay: false);
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(Action<object> toCoordinator, ClusterProtocol.SubmitRun submit, Action<IRunNotification> hand, Action? ended,
        Func<ClusterProtocol.Refused, string>? refusal) =>
        ActorProps.Of(() => new RunFollower(toCoordinator, submit, hand, ended, refusal));

    protected override void PreStart()
    {
        toCoordinator(submit);
        Timers.StartPeriodicTimer(FollowTick.Instance, FollowTick.Instance, FollowEvery);
    }

    private void Deliver(IReadOnlyList<IRunNotification> ready)
    {
        foreach (var notification in ready)
        {
            if (notification is LoomProtocol.RunHeld)
                held = true;
            else if (notification is LoomProtocol.RunAccepted)
                held = false;
            hand(notification);
            if (notification is RunEvents.RunFinished or LoomProtocol.RunRejected)
            {
                // Tells the relay this follower has everything, so it need not keep the run's notices any longer.
                Follow(replay: false);
                End();
                return;
            }
        }
    }

    private void Follow(bool replay) =>
        toCoordinator(new ClusterProtocol.FollowRun(submit.RunId) { Secret = submit.Secret, Relay = sequencer.Relay, After = sequencer.Last, Replay = replay });

    private void End()
    {
        ended?.Invoke();
        Context.Stop(Self);
    }

    private sealed class FollowTick
    {
        public static readonly FollowTick Instance = new();
    }
}
