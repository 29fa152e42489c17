using System.Threading.Channels;
using Loom.Actors.Persistence;
using Loom.Actors.Protocol;
using Loom.Core.Model;
using static Loom.Actors.Protocol.RunEvents;

namespace Loom.Web;

/// <summary>
/// The runs this process runs, as their subscriber hears them: the notifications <c>--json</c> prints, kept in memory
/// (all but output lines, which the step logs hold) and passed on to the pages that follow them. A page that opens in
/// the middle of such a run gets what was kept, then what comes, with nothing lost or repeated between the two.
/// Runs of other processes are read from the journal instead. Finished runs beyond <see cref="Keep"/> are forgotten
/// (the journal has them).
/// </summary>
public sealed class RunHub
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, HubRun> runs = new(StringComparer.Ordinal);
    private readonly List<string> order = [];
    private string? current;
    private TaskCompletionSource changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Keep { get; init; } = 20;

    /// <summary>Completes at the next change to the list of runs (a run started or finished).</summary>
    public Task Changed
    {
        get
        {
            lock (gate)
                return changed.Task;
        }
    }

    /// <summary>
    /// A notification of the run going on now in a sequence of runs (<c>loom run</c>, watch cycles): a run's notifications
    /// start with its <see cref="WatchProtocol.CycleStarting"/> or <see cref="RunStarted"/>, which names it.
    /// </summary>
    public void Publish(IRunNotification notification)
    {
        string? runId;
        lock (gate)
        {
            current = notification switch
            {
                WatchProtocol.CycleStarting c => c.RunId,
                RunStarted s => s.RunId,
                LoomProtocol.RunHeld h => h.RunId,
                _ => current,
            };
            runId = current;
        }
        if (runId is not null)
            Publish(runId, notification);
    }

    /// <summary>A notification of run <paramref name="runId"/>.</summary>
    public void Publish(string runId, IRunNotification notification)
    {
        if (notification is OutputLine or LoomProtocol.RunAccepted)
            return;
        TaskCompletionSource? signal = null;
        lock (gate)
        {
            if (!runs.TryGetValue(runId, out var run))
            {
                run = runs[runId] = new HubRun(runId);
                order.Add(runId);
                Forget();
            }
            if (run.Add(notification))
            {
                (signal, changed) = (changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                Forget();
            }
        }
        signal?.TrySetResult();
    }

    /// <summary>A run this process is about to submit: pages may ask for it before its first notification.</summary>
    public void Expect(string runId)
    {
        lock (gate)
        {
            if (runs.ContainsKey(runId))
                return;
            runs[runId] = new HubRun(runId);
            order.Add(runId);
            Forget();
        }
    }

    /// <summary>The runs kept here that have started, as the history lists them.</summary>
    public IReadOnlyList<RunSummary> Runs()
    {
        lock (gate)
            return runs.Values.Where(r => r.Started is not null).Select(r => r.Summary()).ToList();
    }

    public bool Knows(string runId)
    {
        lock (gate)
            return runs.ContainsKey(runId);
    }

    /// <summary>Whether the run is kept here and has not ended.</summary>
    public bool IsGoingOn(string runId)
    {
        lock (gate)
            return runs.TryGetValue(runId, out var run) && !run.Ended;
    }

    /// <summary>What the run's subscriber heard so far, and a reader of what it hears next (completed at the run's end); false for a run not kept here.</summary>
    public bool TryFollow(string runId, out IReadOnlyList<IRunNotification> before, out ChannelReader<IRunNotification> next)
    {
        lock (gate)
        {
            if (!runs.TryGetValue(runId, out var run))
            {
                (before, next) = ([], null!);
                return false;
            }
            (before, next) = run.Follow();
            return true;
        }
    }

    /// <summary>Stops every follower (the view is closing).</summary>
    public void Close()
    {
        lock (gate)
            foreach (var run in runs.Values)
                run.End();
    }

    private void Forget()
    {
        var finished = order.Where(id => runs[id].Ended).ToList();
        foreach (var id in finished.Take(Math.Max(0, finished.Count - Keep)))
        {
            runs.Remove(id);
            order.Remove(id);
        }
    }

    private sealed class HubRun(string runId)
    {
        private readonly List<IRunNotification> kept = [];
        private readonly List<Channel<IRunNotification>> followers = [];

        public RunStarted? Started { get; private set; }
        public RunFinished? Finished { get; private set; }
        public bool Ended { get; private set; }

        /// <summary>Keeps and passes on one notification; true when the list of runs changed.</summary>
        public bool Add(IRunNotification notification)
        {
            if (Ended)
                return false;
            kept.Add(notification);
            foreach (var follower in followers)
                follower.Writer.TryWrite(notification);
            switch (notification)
            {
                case RunStarted s:
                    Started = s;
                    return true;
                case RunFinished f:
                    Finished = f;
                    End();
                    return true;
                case LoomProtocol.RunRejected:
                    End();
                    return true;
            }
            return false;
        }

        public (IReadOnlyList<IRunNotification>, ChannelReader<IRunNotification>) Follow()
        {
            var channel = Channel.CreateUnbounded<IRunNotification>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
            if (Ended)
                channel.Writer.TryComplete();
            else
                followers.Add(channel);
            return (kept.ToList(), channel.Reader);
        }

        public void End()
        {
            Ended = true;
            foreach (var follower in followers)
                follower.Writer.TryComplete();
            followers.Clear();
        }

        public RunSummary Summary() => new(runId, Started!.Workflow, Started.At, Finished?.Result, Finished?.Duration);
    }
}
