using System.Threading.Channels;
using Akka.Actor;
using Loom.Actors.Protocol;

namespace Loom.Actors.Client;

/// <summary>
/// One run's subscriber for an <see cref="ILoomClient"/>: answers the submission (accepted or refused), keeps what the run
/// said for observers that come late (every event; output lines up to <see cref="MaxKeptLines"/>), and passes each
/// notification on to every observer. Once the run is over it stays <see cref="KeepFor"/> for late observers, then stops.
/// </summary>
internal sealed class RunFeed : UntypedActor, IWithTimers
{
    public const int MaxKeptLines = 10_000;
    public static readonly TimeSpan KeepFor = TimeSpan.FromMinutes(5);

    private readonly string runId;
    private readonly TaskCompletionSource<LoomSubmission> submitted;
    private readonly Action<string> ended;
    private readonly Action<string> expired;
    private readonly Action<LoomProtocol.RunHeld> held;
    private readonly List<IRunNotification> kept = [];
    private readonly List<ChannelWriter<IRunNotification>> observers = [];
    private int keptLines;
    private bool over;

    /// <param name="ended">Called once the run is over (a local run's scheduler can go).</param>
    /// <param name="expired">Called as the feed stops, <see cref="KeepFor"/> after the run is over.</param>
    /// <param name="held">Called when the run waits for its concurrency group.</param>
    public RunFeed(string runId, TaskCompletionSource<LoomSubmission> submitted, Action<string> ended, Action<string> expired, Action<LoomProtocol.RunHeld> held)
    {
        this.runId = runId;
        this.submitted = submitted;
        this.ended = ended;
        this.expired = expired;
        this.held = held;
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string runId, TaskCompletionSource<LoomSubmission> submitted, Action<string> ended, Action<string> expired,
        Action<LoomProtocol.RunHeld> held) =>
        ActorProps.Of(() => new RunFeed(runId, submitted, ended, expired, held));

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Seed seed:
                // What the journal holds of a resumed run: kept for observers, before anything the run says now.
                kept.AddRange(seed.Notifications);
                break;
            case IRunNotification notification:
                Publish(notification);
                break;
            case Observe observe:
                foreach (var notification in kept)
                    observe.Writer.TryWrite(notification);
                if (over)
                    observe.Writer.TryComplete();
                else
                    observers.Add(observe.Writer);
                Sender.Tell(Observing.Instance);
                break;
            case Unobserve unobserve:
                observers.Remove(unobserve.Writer);
                unobserve.Writer.TryComplete();
                break;
            case GetDetails:
                var fold = new RunDetailsFold(runId);
                foreach (var notification in kept)
                    fold.Apply(notification);
                Sender.Tell(new Details(fold.Details(live: !over)));
                break;
            case Expire:
                Context.Stop(Self);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Publish(IRunNotification notification)
    {
        if (over)
            return;
        switch (notification)
        {
            case LoomProtocol.RunAccepted accepted:
                submitted.TrySetResult(new LoomSubmission(runId, true, [], accepted.Warnings));
                break;
            case LoomProtocol.RunRejected rejected:
                submitted.TrySetResult(new LoomSubmission(runId, false, rejected.Errors, []));
                break;
            case LoomProtocol.RunHeld waiting:
                // Accepted: it starts once its concurrency group is free.
                submitted.TrySetResult(new LoomSubmission(runId, true, [], []));
                held(waiting);
                break;
        }
        if (notification is not RunEvents.OutputLine || keptLines++ < MaxKeptLines)
            kept.Add(notification);
        foreach (var observer in observers)
            observer.TryWrite(notification);
        if (notification is RunEvents.RunFinished or LoomProtocol.RunRejected)
        {
            over = true;
            foreach (var observer in observers)
                observer.TryComplete();
            observers.Clear();
            ended(runId);
            Timers.StartSingleTimer(Expire.Instance, Expire.Instance, KeepFor);
        }
    }

    protected override void PostStop()
    {
        expired(runId);
        if (over)
            return;
        // The actor system is going down under a run: nobody may wait for an end that never comes.
        var error = new InvalidOperationException($"Loom's actor system stopped before run {runId} ended");
        submitted.TrySetException(error);
        foreach (var observer in observers)
            observer.TryComplete(error);
    }

    public sealed record Seed(IReadOnlyList<IRunNotification> Notifications) : INoSerializationVerificationNeeded;

    public sealed record Observe(ChannelWriter<IRunNotification> Writer) : INoSerializationVerificationNeeded;

    /// <summary>The answer to <see cref="Observe"/>: what was kept is written, what follows will be.</summary>
    public sealed class Observing : INoSerializationVerificationNeeded
    {
        public static readonly Observing Instance = new();
    }

    public sealed record Unobserve(ChannelWriter<IRunNotification> Writer) : INoSerializationVerificationNeeded;

    public sealed class GetDetails : INoSerializationVerificationNeeded
    {
        public static readonly GetDetails Instance = new();
    }

    public sealed record Details(LoomRunDetails Run) : INoSerializationVerificationNeeded;

    private sealed class Expire : INoSerializationVerificationNeeded
    {
        public static readonly Expire Instance = new();
    }
}
