using Akka.Actor;
using Loom.Actors.Hosting;
using Loom.Actors.Protocol;

namespace Loom.Actors.Client;

/// <summary>The <see cref="ILoomClient"/> of a host with <c>WithLoom</c>: runs go to Loom's guardian in this actor system.</summary>
internal sealed class LocalLoomClient(ActorSystem system, IActorRef guardian, LoomOptions options) : LoomClientBase(system, options)
{
    protected override void Send(Submission submission, IActorRef feed)
    {
        var request = submission.Request;
        guardian.Tell(new LoomProtocol.SubmitRun(submission.RunId, submission.WorkflowPath, submission.DisplayPath, submission.Workspace,
            request.Jobs, request.MaxParallel, feed)
        {
            Contexts = submission.Contexts,
            WorkflowText = submission.Text,
            SkipUses = request.SkipUses,
            NoCache = request.NoCache,
            Carried = submission.Resumed?.Carried ?? CarriedJob.None,
            Resume = submission.Resumed is not null,
            // Runs of one concurrency group wait for each other in this client (a resumed run held its group already).
            HoldForGroup = submission.Resumed is null,
            // A run of text has no file whose edits it could report.
            WatchWorkflowFile = submission.Text is null,
        });
    }

    protected override void Release(string runId) => guardian.Tell(new LoomProtocol.ReleaseRun(runId));

    protected override void Cancel(string runId, string reason) => guardian.Tell(new LoomProtocol.CancelRun(runId, reason));

    /// <summary>
    /// The guardian lets the run's scheduler go (a host runs for months), a moment after its end: the scheduler still tidies
    /// its snapshots away once its last event is written.
    /// </summary>
    protected override void Ended(string runId)
    {
        try
        {
            System.Scheduler.ScheduleTellOnce(TimeSpan.FromSeconds(2), guardian, new WatchProtocol.StopFinishedRun(runId), ActorRefs.NoSender);
        }
        catch (SchedulerException)
        {
            // The actor system is shutting down: its schedulers go with it.
        }
    }
}
