using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Loom.Actors.Execution;
using Loom.Actors.Protocol;
using Loom.Core.Expressions;
using Loom.Core.Model;
using Loom.Core.Runtime;

namespace Loom.Actors.Running;

/// <summary>
/// Runs one job's steps in order, each as a real process, and reports every step and line to the
/// scheduler. Thin: process handling lives in <see cref="StepProcess"/>, expressions and the
/// <c>steps</c>/<c>env</c> contexts in <see cref="StepContexts"/>, output commands and masking in
/// <see cref="StepOutputRelay"/>. If this actor stops for any reason its process tree is killed.
/// </summary>
public sealed class RunnerActor : UntypedActor, IWithTimers
{
    private readonly IActorRef scheduler;
    private readonly JobFilesPool folders;
    private readonly ProcessLedger? ledger;
    private readonly Stopwatch jobClock = new();
    private readonly SecretMasker masker = new();
    private RunnerProtocol.RunJob? request;
    private JobFiles? files;
    private JobFileReader? reader;
    private StepContexts? contexts;
    private StepProcess? current;
    private StepOutputRelay? output;
    // Reports of steps that ended as they started, held to go to the scheduler in one message (SchedulerProtocol.Reports).
    private List<ILoomMessage>? held;
    private int nextStep;
    private bool anyStepFailed;
    private bool cancelled;
    private bool timedOut;
    private string? cacheKey;

    public RunnerActor(IActorRef scheduler, JobFilesPool folders, ProcessLedger? ledger = null)
    {
        this.scheduler = scheduler;
        this.folders = folders;
        this.ledger = ledger;
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="folders">The run's job folders (local to this node, like the runner itself).</param>
    /// <param name="ledger">Where a local run records each step process as it starts (see <see cref="ProcessLedger"/>); null for none.</param>
    public static Props Props(IActorRef scheduler, JobFilesPool folders, ProcessLedger? ledger = null) =>
        ActorProps.Of(() => new RunnerActor(scheduler, folders, ledger));

    private JobSpec Job => request!.Job;

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case StepExited exited:
                EndStep(exited);
                RunNextStep();
                break;
            case ContinueSteps:
                RunNextStep();
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
            case JobCache.Checked check:
                OnCacheChecked(check);
                break;
            case CacheSaved saved:
                if (saved.Refusal is { } refusal)
                    Warn(refusal);
                Report(saved.Finished);
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
        masker.AddRange(run.Job.Secrets.Values);
        files = folders.Rent();
        reader = new JobFileReader(files);
        contexts = new StepContexts(run.Job, run.Workspace);
        if (run.Job.Cache is not { } cache)
        {
            RunNextStep();
            return;
        }
        // Hashing the inputs and restoring an entry is file work: off this thread.
        StartTimeout();
        var job = run.Job;
        Task.Run(() => JobCache.Check(job, cache, run.Workspace))
            .PipeTo(Self, failure: e => new JobCache.Checked(null, null, $"not cached: {e.Message}"));
    }

    private void OnCacheChecked(JobCache.Checked check)
    {
        cacheKey = check.Key;
        if (check.Problem is { } problem)
            Warn(problem);
        if (cancelled)
        {
            Finish();
            return;
        }
        if (check.Hit is not { } hit)
        {
            RunNextStep();
            return;
        }
        Timers.CancelAll();
        Report(new SchedulerProtocol.JobFinished(Job.Id, Result.Success, false, null, jobClock.Elapsed, hit.Outputs, cacheKey, hit.RunId));
    }

    /// <summary>
    /// The job's timeout, started once the job first waits (for a step, or its cache): a message can only end a wait, so a
    /// job whose steps all end as they start never needs it, and the time they took counts against it.
    /// </summary>
    private void StartTimeout()
    {
        if (Timers.IsTimerActive(nameof(JobTimeout)) || cancelled)
            return;
        var left = TimeSpan.FromMinutes(Job.TimeoutMinutes) - jobClock.Elapsed;
        Timers.StartSingleTimer(nameof(JobTimeout), JobTimeout.Instance, left > TimeSpan.Zero ? left : TimeSpan.Zero);
    }

    private void Warn(string message, string title = "cache", int step = 0)
    {
        SendHeld();
        scheduler.Tell(new SchedulerProtocol.Annotation(Job.Id, step, "warning", Mask(message), null, null, null, title));
    }

    /// <summary>A report of a step or of the job: held with the reports before it, if any, else told at once.</summary>
    private void Tell(ILoomMessage report)
    {
        if (held is not null)
            held.Add(report);
        else
            scheduler.Tell(report);
    }

    private void SendHeld()
    {
        if (held is null)
            return;
        scheduler.Tell(held.Count == 1 ? held[0] : new SchedulerProtocol.Reports(held));
        held = null;
    }

    private void RunNextStep()
    {
        var sliceEnds = Stopwatch.GetTimestamp() + InlineSlice;
        while (nextStep < Job.Steps.Count)
        {
            var step = Job.Steps[nextStep++];
            var status = new StatusContext(!anyStepFailed, anyStepFailed, cancelled);
            bool run;
            try
            {
                run = contexts!.ShouldRun(step, status);
            }
            catch (ExpressionException e)
            {
                ReportStep(step, Result.Failure, Result.Failure, null, TimeSpan.Zero, $"'if: {step.If}': {e.Message}");
                continue;
            }
            if (!run)
            {
                contexts.Record(step, Result.Skipped, Result.Skipped);
                Tell(new SchedulerProtocol.StepFinished(Job.Id, step.Index, Result.Skipped, Result.Skipped, null, TimeSpan.Zero, null));
                continue;
            }
            if (!Launch(step, out var ended))
                continue;
            if (ended is null)
                return;
            EndStep(ended);
            if (Stopwatch.GetTimestamp() > sliceEnds && nextStep < Job.Steps.Count)
            {
                // Many steps that end as they start: their reports go now, and the scheduler and a cancel get in before the
                // next ones. Through the pool's queue, not a message to itself, which would keep this mailbox's run (and its
                // thread) going: what was queued before it, the scheduler's mailbox, runs first.
                SendHeld();
                StartTimeout();
                ThreadPool.UnsafeQueueUserWorkItem(static self => self.Tell(ContinueSteps.Instance), Self, preferLocal: false);
                return;
            }
        }
        Finish();
    }

    /// <summary>
    /// Starts the step's process; false when its values could not be evaluated (the step is reported failed).
    /// <paramref name="ended"/> is the step's end when it ended as it started (quietly, within the start's wait), to be
    /// handled at once: its reports are held to go with what follows.
    /// </summary>
    private bool Launch(StepSpec step, out StepExited? ended)
    {
        ended = null;
        ResolvedStep resolved;
        try
        {
            resolved = contexts!.Resolve(step, request!.RunId, files!);
        }
        catch (ExpressionException e)
        {
            Tell(new SchedulerProtocol.StepStarted(Job.Id, step.Index, step.Title));
            ReportStep(step, Result.Failure, Failed(step), null, TimeSpan.Zero, Mask(e.Message));
            return false;
        }
        var relay = output = new StepOutputRelay(scheduler, Job.Id, step.Index, masker);
        // The ledger has the process before anything of its end is seen (Start may wait a moment for a short step to end),
        // from the child itself where the ledger is mapped and the helper starts it.
        var reservation = Reserve(step.Index);
        var launch = new StepLaunch(resolved.Run, resolved.Shell, resolved.WorkingDirectory, resolved.Environment, resolved.Timeout)
        {
            StartRecord = reservation?.StartRecord ?? 0,
        };
        current = StepProcess.Start(launch, relay.Relay, started => Complete(reservation, started.Identity, step.Index));
        // One message names the step and its process (what a resumed run kills); the lines it printed
        // meanwhile were held by the relay so that they follow it.
        var process = current.Identity;
        var started = new SchedulerProtocol.StepStarted(Job.Id, step.Index, masker.Mask(resolved.Title), process?.Pid, process?.StartTimeTicks ?? 0);
        if (current.Completion.IsCompletedSuccessfully && relay.NothingHeld)
        {
            (held ??= []).Add(started);
            relay.Announced();
            ended = new StepExited(step, resolved, current.Completion.Result);
            return true;
        }
        SendHeld();
        scheduler.Tell(started);
        relay.Announced();
        StartTimeout();
        current.Completion.PipeTo(Self, success: exit => new StepExited(step, resolved, exit), failure: e => new StepExited(step, resolved, new StepExit(-1, false, false, TimeSpan.Zero, e.Message)));
        return true;
    }

    /// <summary>The ledger line of the step's process, about to start; null without a ledger or where it cannot be written.</summary>
    private ProcessLedger.Reservation? Reserve(int step)
    {
        try
        {
            return ledger?.Reserve(Job.Id, Job.Attempt);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LedgerUnwritable(e, step);
            return null;
        }
    }

    /// <summary>Notes the step's process in the run's ledger; a ledger that cannot be written (a full disk) costs crash safety, not the job.</summary>
    private void Complete(ProcessLedger.Reservation? reservation, ProcessIdentity? process, int step)
    {
        try
        {
            reservation?.Complete(process);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LedgerUnwritable(e, step);
        }
    }

    private void LedgerUnwritable(Exception e, int step) =>
        Warn($"the run's process ledger could not be written ({e.Message}): if loom is killed now, 'loom run --resume' may not find this step's processes", "process ledger", step);

    private void EndStep(StepExited exited)
    {
        var (step, resolved, exit) = exited;
        _ = current?.DisposeAsync();
        current = null;
        var outcome = exit switch
        {
            { ExitCode: 0, TimedOut: false, Killed: false } => Result.Success,
            { Killed: true } => Result.Cancelled,
            _ => Result.Failure,
        };
        var error = exit.StartError ?? (exit.TimedOut ? $"step timed out after {resolved.Timeout?.TotalMinutes} minutes" : null);
        if (output!.FailedStep && outcome == Result.Success)
        {
            outcome = Result.Failure;
            error = "the step used a disabled workflow command";
        }
        var fileError = ReadFiles(step);
        if (fileError is not null && outcome == Result.Success)
        {
            outcome = Result.Failure;
            error = fileError;
        }
        var conclusion = outcome == Result.Failure && resolved.ContinueOnError ? Result.Success : outcome;
        ReportStep(step, outcome, conclusion, exit.Killed ? null : exit.ExitCode, exit.Duration, error is null ? null : Mask(error));
    }

    /// <summary>What the step appended to <c>$LOOM_OUTPUT</c>, <c>$LOOM_ENV</c>, <c>$LOOM_PATH</c>; an error names the file and line.</summary>
    private string? ReadFiles(StepSpec step)
    {
        JobFileReader.Appended appended;
        try
        {
            appended = reader!.ReadAppended();
        }
        catch (InvalidDataException e)
        {
            return e.Message;
        }
        string? error = null;
        if (appended.Output is { } outputText)
        {
            var parsed = FileCommandParser.Parse(outputText);
            contexts!.AddOutputs(step, parsed.Pairs);
            if (parsed.Error is { } e)
                error = $"$LOOM_OUTPUT {e}";
        }
        if (appended.Env is { } envText)
        {
            var parsed = FileCommandParser.Parse(envText);
            contexts!.AddEnv(parsed.Pairs);
            if (parsed.Error is { } e)
                error ??= $"$LOOM_ENV {e}";
        }
        if (appended.Path is { } pathText)
            contexts!.AddPath(pathText);
        if (appended.Summary is { Length: > 0 } summary)
            contexts!.AddSummary(summary);
        return error;
    }

    private Result Failed(StepSpec step) => contexts!.ContinuesOnError(step) ? Result.Success : Result.Failure;

    private void ReportStep(StepSpec step, Result outcome, Result conclusion, int? exitCode, TimeSpan duration, string? error)
    {
        if (conclusion == Result.Failure)
            anyStepFailed = true;
        contexts!.Record(step, outcome, conclusion);
        Tell(new SchedulerProtocol.StepFinished(Job.Id, step.Index, outcome, conclusion, exitCode, duration, error));
    }

    private string Mask(string text) => masker.Mask(text);

    private void Cancel(bool timeout)
    {
        if (request is null || cancelled)
            return;
        cancelled = true;
        timedOut = timeout;
        contexts?.MarkCancelled();
        current?.Kill();
    }

    private void Finish()
    {
        Timers.CancelAll();
        var result = cancelled ? Result.Cancelled : anyStepFailed ? Result.Failure : Result.Success;
        var error = timedOut ? $"job timed out after {Job.TimeoutMinutes} minutes" : null;
        var outputs = contexts!.JobOutputs(result, out var outputError);
        if (outputError is not null)
            error ??= outputError;
        var masked = new Dictionary<string, string>(outputs.Count, StringComparer.Ordinal);
        foreach (var (name, value) in outputs)
            masked[name] = masker.Mask(value);
        if (contexts.Summary is { Length: > 0 } summary)
        {
            SendHeld();
            scheduler.Tell(new SchedulerProtocol.StepSummary(Job.Id, MaskLines(summary)));
        }
        var finished = new SchedulerProtocol.JobFinished(Job.Id, result, timedOut, error is null ? null : Mask(error), jobClock.Elapsed, masked, cacheKey);
        if (result != Result.Success || cacheKey is null || Job.Cache is not { } cache)
        {
            Report(finished);
            return;
        }
        // What the job produced is saved before it is reported done: a dependent's key may name this job's.
        SendHeld();
        var (job, key, runId, workspace) = (Job, cacheKey, request!.RunId, request.Workspace);
        Task.Run(() => JobCache.Save(job, cache, key, runId, masked, workspace))
            .PipeTo(Self, success: refusal => new CacheSaved(finished, refusal), failure: e => new CacheSaved(finished, $"not cached: {e.Message}"));
    }

    private void Report(SchedulerProtocol.JobFinished finished)
    {
        // The job's folder goes back to the pool before the scheduler hears of the end: the next job may take it at once.
        if (current is null)
        {
            files?.Dispose();
            files = null;
        }
        Tell(finished);
        SendHeld();
        Context.Stop(Self);
    }

    private string MaskLines(string text) =>
        masker.IsEmpty ? text : string.Join('\n', text.Split('\n').Select(masker.Mask));

    protected override void PostStop()
    {
        SendHeld();
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

    private sealed record StepExited(StepSpec Step, ResolvedStep Resolved, StepExit Exit);

    private sealed record CacheSaved(SchedulerProtocol.JobFinished Finished, string? Refusal);

    /// <summary>How long a runner goes on with steps that end as they start before it lets its mailbox in (20 ms).</summary>
    private static readonly long InlineSlice = Stopwatch.Frequency / 50;

    private sealed class ContinueSteps
    {
        public static readonly ContinueSteps Instance = new();
    }

    private sealed class JobTimeout
    {
        public static readonly JobTimeout Instance = new();
    }
}
