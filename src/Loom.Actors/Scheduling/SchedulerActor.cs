using Akka.Actor;
using Akka.Event;
using Loom.Actors.Protocol;
using Loom.Actors.Running;
using Loom.Core.Model;
using static Loom.Actors.Protocol.RunEvents;

namespace Loom.Actors.Scheduling;

/// <summary>
/// Owns one run: its DAG and every job's state (a <see cref="RunState"/>), one
/// <see cref="RunnerActor"/> child per started job. Every decision goes through
/// <c>RunState.Process</c>, then each event is applied, published, and acted on.
/// </summary>
public sealed class SchedulerActor : UntypedActor, IWithTimers
{
    private readonly RunState state;
    private readonly string workspace;
    private readonly ILoggingAdapter log = Context.GetLogger();
    private readonly Dictionary<string, IActorRef> runners = new(StringComparer.Ordinal);
    private readonly JobFilesPool folders = new();
    private IActorRef subscriber = ActorRefs.Nobody;

    public SchedulerActor(RunPlan plan, string workspace, RunContexts contexts)
    {
        state = new RunState(plan, contexts);
        this.workspace = workspace;
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(RunPlan plan, string workspace, RunContexts contexts) =>
        ActorProps.Of(() => new SchedulerActor(plan, workspace, contexts));

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case SchedulerProtocol.StepOutput o:
                subscriber.Tell(new OutputLine(o.JobId, o.Step, o.Line, DateTimeOffset.UtcNow, o.Group));
                break;
            case SchedulerProtocol.Annotation a:
                subscriber.Tell(new Annotation(a.JobId, a.Step, a.Level, a.Message, a.File, a.Line, a.Column, a.Title, DateTimeOffset.UtcNow));
                break;
            case SchedulerProtocol.StepSummary summary:
                subscriber.Tell(new StepSummary(summary.JobId, summary.Markdown, DateTimeOffset.UtcNow));
                break;
            case SchedulerProtocol.StepStarted or SchedulerProtocol.StepFinished or SchedulerProtocol.JobFinished or SchedulerProtocol.Cancel or SchedulerProtocol.RetryDue:
                Handle((ILoomMessage)message);
                break;
            case SchedulerProtocol.Start start:
                subscriber = start.Subscriber;
                Handle(start);
                break;
            case SchedulerProtocol.WorkflowFileChanged c:
                log.Info("Workflow file {0} changed during run {1}; the run keeps the version it started with", c.Path, state.Plan.RunId);
                subscriber.Tell(new WorkflowChanged(c.Path, DateTimeOffset.UtcNow));
                break;
            case Terminated terminated:
                OnRunnerTerminated(terminated);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>A runner that throws is stopped, never restarted: its job fails, the rest of the run goes on.</summary>
    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(e =>
        {
            log.Error(e, "A runner of run {0} failed", state.Plan.RunId);
            return Directive.Stop;
        });

    private void Handle(ILoomMessage command)
    {
        foreach (var e in state.Handle(command, DateTimeOffset.UtcNow))
        {
            subscriber.Tell(e);
            React(e);
        }
    }

    private void React(IRunEvent e)
    {
        switch (e)
        {
            case JobStarted started:
                StartRunner(started);
                break;
            case JobFinished finished:
                if (runners.Remove(finished.JobId, out var done))
                    Context.Unwatch(done);
                if (finished.Retrying)
                    Timers.StartSingleTimer(finished.JobId, new SchedulerProtocol.RetryDue(finished.JobId), finished.RetryDelay);
                break;
            case JobCancelling cancelling:
                if (runners.TryGetValue(cancelling.JobId, out var sibling))
                    sibling.Tell(new RunnerProtocol.CancelJob(cancelling.Reason));
                break;
            case RunCancelling cancelling:
                foreach (var runner in runners.Values)
                    runner.Tell(new RunnerProtocol.CancelJob(cancelling.Reason));
                break;
            case RunFinished finished:
                log.Info("Run {0} finished: {1}", state.Plan.RunId, finished.Result.ToWire());
                // Runners still stopping remove their folders as they give them back.
                folders.Dispose();
                break;
        }
    }

    protected override void PostStop() => folders.Dispose();

    private void StartRunner(JobStarted started)
    {
        JobSpec spec;
        try
        {
            spec = state.Expressions.SpecOf(state[started.JobId], state);
        }
        catch (Loom.Core.Expressions.ExpressionException e)
        {
            // A job-level value (name, env, timeout) that cannot be evaluated fails the job before it starts.
            Self.Tell(new SchedulerProtocol.JobFinished(started.JobId, Result.Failure, false, state.Expressions.Mask(e.Message), TimeSpan.Zero));
            return;
        }
        // Actor names cannot hold every character a matrix cell id can.
        var runner = Context.ActorOf(RunnerActor.Props(Self, folders), "runner-" + Uri.EscapeDataString(started.JobId) + "-" + started.Attempt);
        Context.Watch(runner);
        runners[started.JobId] = runner;
        runner.Tell(new RunnerProtocol.RunJob(state.Plan.RunId, workspace, spec));
    }

    private void OnRunnerTerminated(Terminated terminated)
    {
        var jobId = runners.FirstOrDefault(r => r.Value.Equals(terminated.ActorRef)).Key;
        if (jobId is null)
            return;
        var job = state[jobId];
        runners.Remove(jobId);
        Handle(new SchedulerProtocol.JobFinished(jobId, Result.Failure, false, "the job's runner failed; its processes were killed", DateTimeOffset.UtcNow - (job.StartedAt ?? DateTimeOffset.UtcNow)));
    }
}
