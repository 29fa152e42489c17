using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Loom.Actors.Execution;
using Loom.Actors.Protocol;
using Loom.Core.Model;

namespace Loom.Actors.Running;

/// <summary>
/// Runs one job's steps in order, each as a real process, and reports every step and line to
/// the scheduler. Thin: process handling lives in <see cref="StepProcess"/>, step conditions in
/// <see cref="Condition"/>. If this actor stops for any reason its process tree is killed.
/// </summary>
public sealed class RunnerActor : UntypedActor, IWithTimers
{
    private readonly IActorRef scheduler;
    private readonly JobFilesPool folders;
    private readonly Stopwatch jobClock = new();
    private RunnerProtocol.RunJob? request;
    private JobFiles? files;
    private StepProcess? current;
    private int nextStep;
    private bool anyStepFailed;
    private bool cancelled;
    private bool timedOut;

    public RunnerActor(IActorRef scheduler, JobFilesPool folders)
    {
        this.scheduler = scheduler;
        this.folders = folders;
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="folders">The run's job folders (local to this node, like the runner itself).</param>
    public static Props Props(IActorRef scheduler, JobFilesPool folders) => ActorProps.Of(() => new RunnerActor(scheduler, folders));

    private JobSpec Job => request!.Job;

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case StepExited exited:
                OnStepExited(exited);
                break;
            case RunnerProtocol.RunJob run:
                Start(run);
                break;
            case RunnerProtocol.CancelJob:
                Cancel(timeout: false);
                break;
            case JobTimeout:
                Cancel(timeout: true);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Start(RunnerProtocol.RunJob run)
    {
        if (request is not null)
            return;
        request = run;
        jobClock.Start();
        files = folders.Rent();
        Timers.StartSingleTimer(nameof(JobTimeout), JobTimeout.Instance, TimeSpan.FromMinutes(run.Job.TimeoutMinutes));
        RunNextStep();
    }

    private void RunNextStep()
    {
        while (nextStep < Job.Steps.Count)
        {
            var step = Job.Steps[nextStep++];
            var condition = Condition.TryParse(step.If, out var error, out _);
            if (condition is null)
            {
                ReportStep(step, Result.Failure, Result.Failure, null, TimeSpan.Zero, error);
                continue;
            }
            if (!condition.Evaluate(new StatusContext(!anyStepFailed, anyStepFailed, cancelled)))
            {
                scheduler.Tell(new SchedulerProtocol.StepFinished(Job.Id, step.Index, Result.Skipped, Result.Skipped, null, TimeSpan.Zero, null));
                continue;
            }
            Launch(step);
            return;
        }
        Finish();
    }

    private void Launch(StepSpec step)
    {
        scheduler.Tell(new SchedulerProtocol.StepStarted(Job.Id, step.Index, step.Title));
        var workspace = request!.Workspace;
        var launch = new StepLaunch(
            step.Run,
            step.Shell,
            step.WorkingDirectory is null ? workspace : Path.GetFullPath(step.WorkingDirectory, workspace),
            StepEnvironment.Compose(request.RunId, workspace, Job, step, files!),
            step.TimeoutMinutes is { } minutes ? TimeSpan.FromMinutes(minutes) : null);
        var jobId = Job.Id;
        var target = scheduler;
        current = StepProcess.Start(launch, line => target.Tell(new SchedulerProtocol.StepOutput(jobId, step.Index, line)));
        current.Completion.PipeTo(Self, success: exit => new StepExited(step, exit), failure: e => new StepExited(step, new StepExit(-1, false, false, TimeSpan.Zero, e.Message)));
    }

    private void OnStepExited(StepExited exited)
    {
        var (step, exit) = exited;
        _ = current?.DisposeAsync();
        current = null;
        var outcome = exit switch
        {
            { ExitCode: 0, TimedOut: false, Killed: false } => Result.Success,
            { Killed: true } => Result.Cancelled,
            _ => Result.Failure,
        };
        var conclusion = outcome == Result.Failure && step.ContinueOnError ? Result.Success : outcome;
        var error = exit.StartError ?? (exit.TimedOut ? $"step timed out after {step.TimeoutMinutes} minutes" : null);
        ReportStep(step, outcome, conclusion, exit.Killed ? null : exit.ExitCode, exit.Duration, error);
        RunNextStep();
    }

    private void ReportStep(StepSpec step, Result outcome, Result conclusion, int? exitCode, TimeSpan duration, string? error)
    {
        if (conclusion == Result.Failure)
            anyStepFailed = true;
        scheduler.Tell(new SchedulerProtocol.StepFinished(Job.Id, step.Index, outcome, conclusion, exitCode, duration, error));
    }

    private void Cancel(bool timeout)
    {
        if (request is null || cancelled)
            return;
        cancelled = true;
        timedOut = timeout;
        current?.Kill();
    }

    private void Finish()
    {
        Timers.CancelAll();
        var result = cancelled ? Result.Cancelled : anyStepFailed ? Result.Failure : Result.Success;
        var error = timedOut ? $"job timed out after {Job.TimeoutMinutes} minutes" : null;
        scheduler.Tell(new SchedulerProtocol.JobFinished(Job.Id, result, timedOut, error, jobClock.Elapsed));
        Context.Stop(Self);
    }

    protected override void PostStop()
    {
        if (current is not null)
        {
            // A logger only when there is something to say: one per runner would cost every job.
            Context.GetLogger().Warning("Runner of job {0} stopped during a step; killing the step's process tree", request?.Job.Id);
            current.Kill();
            _ = current.DisposeAsync();
            // The killed step may not be quite gone: no later job gets these files.
            files?.Discard();
        }
        files?.Dispose();
    }

    private sealed record StepExited(StepSpec Step, StepExit Exit);

    private sealed class JobTimeout
    {
        public static readonly JobTimeout Instance = new();
    }
}
