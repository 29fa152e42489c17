using System.Diagnostics;

namespace Loom.Actors.Execution;

/// <summary>
/// One running step: a process in a session and process group of its own, its stdout and stderr
/// merged on one pipe and delivered line by line, its whole group killed on timeout, on
/// <see cref="Kill"/> and when it exits (nothing a step starts outlives it). A step that ends
/// quietly at once is seen to end on its starter's thread (<see cref="QuickExitWait"/>); any other
/// is handed to the shared <see cref="Reactor"/> thread, which reads its output and sees its exit
/// through a pidfd, so a step costs no thread.
/// </summary>
public sealed class StepProcess : IAsyncDisposable, Reactor.IHandler, OutputPipe.IListener
{
    /// <summary>
    /// <see cref="StepExit.ExitCode"/> when the status was reaped by someone else and could not be
    /// recovered: .NET reaps every child when Loom runs as pid 1 (a container without an init) or
    /// was started with SIGCHLD ignored; Linux 6.15+ still tells Loom, older kernels do not.
    /// </summary>
    public const int LostExitCode = -1;

    // After the leader exits and its group is killed, EOF normally follows at once. If not, a
    // process that left the group (job control) holds the pipe: sweep the session. If even that
    // does not end the output, a process outside the session (setsid, a daemon) holds it: stop.
    private static readonly TimeSpan SessionSweepAfter = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(2);

    // System.Threading.Timer's longest due time; longer timeouts never fire.
    private static readonly TimeSpan LongestTimeout = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    private const int OutputEnded = 1;
    private const int LeaderExited = 2;

    private readonly Lock gate = new();
    private readonly int pid;
    private readonly long started;
    private readonly OutputPipe? pipe;
    private readonly string? script;
    private readonly TaskCompletionSource<StepExit> completion = new();
    private readonly Action<string>? onLine;
    private readonly TimeSpan? timeout;
    private Timer? timer;
    private QuickExitWait? quickExit;
    private readonly int pidfd = -1;
    private ulong pidfdToken;
    private bool reaped;
    private Ending ending;
    private int exitCode;
    private int progress;
    private int drainStage;
    private int leaderClaimed;
    private Timer? drainClock;
    private Exception? lineError;

    private enum Ending
    {
        None,
        TimedOut,
        Killed,
    }

    /// <summary>Off only in tests, to cover the fallback for systems without pidfds.</summary>
    internal static bool PidfdEnabled { get; set; } = true;

    private StepProcess(StepExit failure)
    {
        reaped = true;
        completion.SetResult(failure);
    }

    private StepProcess(int pid, long startTicks, int pidfd, OutputPipe pipe, string? script, Action<string> onLine, TimeSpan? timeout, long started)
    {
        this.pid = pid;
        this.pidfd = pidfd;
        this.pipe = pipe;
        this.script = script;
        this.started = started;
        this.onLine = onLine;
        this.timeout = timeout;
        Identity = startTicks >= 0 ? new ProcessIdentity(pid, startTicks)
            : ProcessTree.TryReadStat(pid, out var stat) ? new ProcessIdentity(pid, stat.StartTime) : null;
    }

    /// <summary>
    /// Watches the started process until it ends: on the caller's thread for a moment first, if <paramref name="quickExitWait"/>
    /// allows, then through the reactor.
    /// </summary>
    private void Watch(QuickExitWait quickExitWait)
    {
        if (pipe is null)
            return;
        quickExit = quickExitWait;
        quickExitWait.StepStarted();
        if (pidfd >= 0 && EndedQuietly(quickExitWait))
            return;
        try
        {
            // Straight into the field: a step that is already over reports its exit at once, on the reactor.
            if (pidfd >= 0)
                Reactor.Shared.Add(pidfd, this, out pidfdToken);
            if (pidfdToken == 0)
            {
                // No pidfd (Linux before 5.3, or a seccomp profile refusing it): a thread waits instead.
                new Thread(static state => ((StepProcess)state!).WaitWithoutPidfd()) { IsBackground = true, Name = "Loom step waiter" }
                    .UnsafeStart(this);
            }
            if (!pipe.Register(out var error))
            {
                // Nothing can read the output (epoll refused the pipe: out of memory or of watches): the step is killed and fails.
                ((OutputPipe.IListener)this).OnEnded(new IOException($"cannot read the step's output: {Libc.Describe(error)}"), onPoolThread: false);
                return;
            }
            if (timeout is { } limit && limit <= LongestTimeout)
                timer = new Timer(static state => ((StepProcess)state!).Terminate(Ending.TimedOut), this, limit < TimeSpan.Zero ? TimeSpan.Zero : limit, Timeout.InfiniteTimeSpan);
            pipe.Start(new LineSplitter(onLine!), this);
        }
        catch
        {
            // A step that may never complete must not keep counting as running (Complete un-counts it at most once).
            Interlocked.Exchange(ref quickExit, null)?.StepEnded();
            throw;
        }
    }

    /// <summary>True when the step ended within the wait and left nothing in its pipe; it is then reaped and complete.</summary>
    private bool EndedQuietly(QuickExitWait quickExitWait)
    {
        if (!quickExitWait.TryBeginWait())
            return false;
        bool ended;
        try
        {
            // A step's timeout (6 ms at the least) is its timer's, which starts at the hand-over: never wait past it.
            var budget = timeout is { } limit && limit < quickExitWait.Budget ? limit : quickExitWait.Budget;
            ended = QuietEndWithin(pipe!.Fd, pidfd, budget);
        }
        finally
        {
            quickExitWait.EndWait();
        }
        if (!ended)
            return false;
        // The pipe hung up empty; the exit is handled as the reactor would, but completed here (nobody else watches yet).
        progress = OutputEnded;
        OnLeaderExited(completeHere: true);
        return true;
    }

    /// <summary>
    /// Waits up to <paramref name="budget"/> for the pidfd to report the exit, then for the pipe to hang up: true when it
    /// hangs up empty; false when output is in it, or the budget ends first (a background process still holds the pipe, or
    /// the step runs on). The pidfd first and the pipe only then: the pipe hangs up as the leader closes its files, a moment
    /// before its exit is reported, and waiting on both woke this thread twice for most steps. What a step prints in the
    /// meantime waits in the pipe, for the budget at most.
    /// </summary>
    private static unsafe bool QuietEndWithin(int pipeFd, int pidfd, TimeSpan budget)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(budget.TotalSeconds * Stopwatch.Frequency);
        var exit = new Libc.PollFd { Fd = pidfd, Events = Libc.POLLIN };
        if (!PollUntil(&exit, deadline) || (exit.Revents & Libc.POLLIN) == 0)
            return false;
        // Mostly hung up already; else another child of Loom's forked meanwhile may hold it until its exec, for microseconds.
        var output = new Libc.PollFd { Fd = pipeFd, Events = Libc.POLLIN };
        return PollUntil(&output, deadline) && (output.Revents & Libc.POLLIN) == 0;
    }

    /// <summary>Polls one descriptor until it reports an event or <paramref name="deadline"/> passes (once, at least); true on an event that is not an error.</summary>
    private static unsafe bool PollUntil(Libc.PollFd* fd, long deadline)
    {
        while (true)
        {
            var left = Math.Max(0, deadline - Stopwatch.GetTimestamp());
            var nanoseconds = (long)(left * (1e9 / Stopwatch.Frequency));
            var wait = new Libc.Timespec { Seconds = nanoseconds / 1_000_000_000, Nanoseconds = nanoseconds % 1_000_000_000 };
            fd->Revents = 0;
            var ready = Libc.ppoll(fd, 1, &wait, null);
            if (ready < 0 && Libc.LastError == Libc.EINTR)
                continue;
            return ready > 0 && (fd->Revents & (Libc.POLLERR | Libc.POLLNVAL)) == 0;
        }
    }

    /// <summary>The step's leader (the shell, or the program on the fast path); null when nothing started.</summary>
    public ProcessIdentity? Identity { get; }

    /// <summary>Completes after the process exited and all its output lines were delivered. Faults only if <c>onLine</c> threw.</summary>
    public Task<StepExit> Completion => completion.Task;

    /// <summary>
    /// Starts a step. User errors (no such directory, shell or program; an unwritable temp folder)
    /// come back as a completed <see cref="StepExit"/> with <see cref="StepExit.StartError"/>, not
    /// as exceptions. <paramref name="onLine"/> is called in order, one call at a time, on pool threads.
    /// </summary>
    /// <param name="onStarted">Called once the process runs (or failed to start), before anything of its end is seen: where
    /// the caller records it.</param>
    public static StepProcess Start(StepLaunch launch, Action<string> onLine, Action<StepProcess>? onStarted = null) =>
        Start(launch, onLine, allowFastPath: true, onStarted);

    /// <param name="quickExitWait">Whether and how long to wait here for the step to end (null: <see cref="QuickExitWait.Default"/>).</param>
    internal static StepProcess Start(StepLaunch launch, Action<string> onLine, bool allowFastPath, Action<StepProcess>? onStarted = null,
        QuickExitWait? quickExitWait = null)
    {
        var step = Launch(launch, onLine, allowFastPath);
        try
        {
            onStarted?.Invoke(step);
        }
        catch
        {
            // The caller never gets the step: nothing of it may outlive this call.
            step.Kill();
            throw;
        }
        finally
        {
            step.Watch(quickExitWait ?? QuickExitWait.Default);
        }
        return step;
    }

    private static StepProcess Launch(StepLaunch launch, Action<string> onLine, bool allowFastPath)
    {
        ArgumentNullException.ThrowIfNull(launch);
        ArgumentNullException.ThrowIfNull(onLine);
        var started = Stopwatch.GetTimestamp();
        var directory = launch.WorkingDirectory;
        if (!Path.IsPathRooted(directory) || !Directory.Exists(directory))
            return Failed(started, 127, $"working directory '{directory}' does not exist");
        if (Libc.access(directory, Libc.X_OK) != 0)
            return Failed(started, 126, $"working directory '{directory}' is not accessible");
        if (UnpassableVariable(launch.Environment) is { } name)
            return Failed(started, 127, $"environment variable '{name}' cannot be passed to a process");

        var path = launch.Environment.GetValueOrDefault("PATH");
        var searchPath = path ?? ExecutableLookup.DefaultPath;
        var shell = launch.Shell?.Trim() ?? "";
        var bash = shell.Length == 0 ? ExecutableLookup.Find("bash", searchPath, directory) : null;

        // Any failure of the fast path falls back to the shell, which then reports it in its own words.
        if (allowFastPath && path is not null && FastPlan(launch, shell, path, bash) is { } plan
            && TryStart(plan.Program, plan.Argv, plan.Environment, launch, onLine, null, started, out var fast) == 0)
            return fast!;

        if (!ShellCommand.TryResolve(shell, bash is not null, out var template, out var error))
            return Failed(started, 127, error);
        var shellProgram = template[0];
        var found = ExecutableLookup.Find(shellProgram, searchPath, directory);
        if (found is null)
            return Failed(started, 127, $"shell '{shellProgram}' not found");
        string script;
        try
        {
            script = ScriptFiles.Write(ShellCommand.ScriptContent(shellProgram, launch.Run), ShellCommand.ScriptExtension(shellProgram));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Failed(started, 127, $"cannot write the step's script: {e.Message}");
        }
        var errno = TryStart(Path.GetFullPath(found, directory), ShellCommand.Format(template, script), launch.Environment, launch, onLine, script, started, out var step);
        if (errno == 0)
            return step!;
        ScriptFiles.Delete(script);
        return Failed(started, errno is Libc.EACCES or Libc.ENOEXEC ? 126 : 127, $"cannot start shell '{shellProgram}': {Libc.Describe(errno)}");
    }

    /// <summary>Kills the step's whole process group now; idempotent, and a no-op once it has exited.</summary>
    public void Kill() => Terminate(Ending.Killed);

    /// <summary>Kills the step if it still runs, waits for its end and removes its script.</summary>
    public async ValueTask DisposeAsync()
    {
        Kill();
        try
        {
            await Completion.ConfigureAwait(false);
        }
        catch
        {
            // Completion only faults when onLine threw, which its awaiter has been told.
        }
    }

    void Reactor.IHandler.OnReady(uint events) => OnLeaderExited();

    private static (string Program, IReadOnlyList<string> Argv, Dictionary<string, string> Environment)? FastPlan(
        StepLaunch launch, string shell, string path, string? bash)
    {
        if (!FastPath.TryParse(launch.Run, out var argv))
            return null;
        var directory = launch.WorkingDirectory;
        var shellPath = shell switch
        {
            "" => bash ?? ExecutableLookup.Find("sh", path, directory),
            "bash" or "sh" => ExecutableLookup.Find(shell, path, directory),
            _ => null,
        };
        if (shellPath is null || !Path.IsPathRooted(shellPath) || FastPath.FlavorOf(shellPath) is not { } flavor)
            return null;
        var program = ExecutableLookup.Find(argv[0], path, directory);
        // A relative PATH entry would make $_ relative: rare enough to leave to the shell.
        if (program is null || (!Path.IsPathRooted(program) && !argv[0].Contains('/')) || !FastPath.IsTrustedTwin(argv, program))
            return null;
        var environment = FastPath.ShellEnvironment(flavor, launch.Environment, directory, program);
        return environment is null ? null : (Path.GetFullPath(program, directory), argv, environment);
    }

    private static unsafe int TryStart(string program, IReadOnlyList<string> argv, IReadOnlyCollection<KeyValuePair<string, string>> environment,
        StepLaunch launch, Action<string> onLine, string? script, long started, out StepProcess? step)
    {
        step = null;
        var fds = stackalloc int[2];
        // O_CLOEXEC: a step started concurrently must not inherit this pipe and hold its EOF back.
        if (Libc.pipe2(fds, Libc.O_CLOEXEC) != 0)
            return Libc.LastError;
        // Only Loom's end is non-blocking; the child's stdout must stay blocking.
        Libc.fcntl(fds[0], Libc.F_SETFL, Libc.O_NONBLOCK);
        // Registered with the reactor only if the step outlives the starter's wait (Watch): a quick end then wakes nobody else.
        var pipe = new OutputPipe(fds[0]);
        // The start time without reading /proc (~8 us) unless the clock ticked during the spawn (~1 in 50).
        var before = ProcessTree.BootTicks();
        var error = Spawner.Spawn(program, argv, environment, launch.WorkingDirectory, fds[1], out var pid, launch.StartRecord);
        var after = ProcessTree.BootTicks();
        // At once: where .NET reaps every child (Loom as pid 1), a pidfd is what keeps the exit status.
        var pidfd = error == 0 && PidfdEnabled ? Libc.pidfd_open(pid) : -1;
        Libc.close(fds[1]);
        if (error != 0)
        {
            pipe.Close();
            return error;
        }
        step = new StepProcess(pid, before == after ? before : -1, pidfd, pipe, script, onLine, launch.Timeout, started);
        return 0;
    }

    private static StepProcess Failed(long started, int exitCode, string error) =>
        new(new StepExit(exitCode, false, false, Stopwatch.GetElapsedTime(started), error));

    private static string? UnpassableVariable(IReadOnlyDictionary<string, string> environment)
    {
        foreach (var (key, value) in environment)
        {
            if (key.Length == 0 || key.AsSpan().IndexOfAny('=', '\0') >= 0 || value.Contains('\0'))
                return key;
        }
        return null;
    }

    void OutputPipe.IListener.OnWaiting()
    {
        // Called after arming (a full fence), so that this or OnLeaderExited sees the other.
        if ((Volatile.Read(ref progress) & LeaderExited) != 0)
            StartDrainClock();
    }

    void OutputPipe.IListener.OnEnded(Exception? error, bool onPoolThread)
    {
        if (error is not null)
        {
            // onLine threw: end the step rather than leave it blocked on a full pipe.
            lineError = error;
            Terminate(Ending.Killed);
        }
        else if (ChildExit.HasExited(pid))
        {
            // Output usually ends as the leader exits: handle the exit now, not on a second wake-up for the pidfd.
            OnLeaderExited();
        }
        if (Interlocked.Or(ref progress, OutputEnded) == LeaderExited)
            Finish(onPoolThread);
    }

    /// <param name="completeHere">Complete on this thread (the starter's, after a quick end) rather than on a pool thread.</param>
    private void OnLeaderExited(bool completeHere = false)
    {
        // The pidfd and the end of output may both report the exit; the first one handles it.
        if (Interlocked.Exchange(ref leaderClaimed, 1) != 0)
            return;
        if (pidfdToken != 0)
            Reactor.Shared.Remove(pidfd, pidfdToken);
        lock (gate)
        {
            // Orphan cleanup, before reaping: while the leader is a zombie its pid, which is the
            // group's id, cannot be reused, so this cannot hit anyone else.
            ProcessTree.SignalGroup(pid);
            exitCode = ChildExit.Reap(pid, pidfd);
            reaped = true;
        }
        if (pidfd >= 0)
            Libc.close(pidfd);
        if (Interlocked.Or(ref progress, LeaderExited) == OutputEnded)
            Finish(completeHere);
        else if (pipe!.IsWaiting)
            StartDrainClock();
    }

    // The group is dead, so EOF normally follows at once; this bounds the wait when it does not.
    // Ticks after SessionSweepAfter (sweep the session), then after DrainLimit (stop reading).
    private void StartDrainClock()
    {
        if (Interlocked.Exchange(ref drainStage, 1) != 0)
            return;
        var clock = new Timer(static state => ((StepProcess)state!).DrainTick(), this, SessionSweepAfter, DrainLimit);
        Interlocked.Exchange(ref drainClock, clock);
        // Finish may have run meanwhile and found no clock to dispose.
        if ((Volatile.Read(ref progress) & OutputEnded) != 0)
            clock.Dispose();
    }

    private void DrainTick()
    {
        if ((Volatile.Read(ref progress) & OutputEnded) != 0)
            return;
        if (Interlocked.Increment(ref drainStage) == 2)
            ProcessTree.KillSession(pid, Identity?.StartTimeTicks ?? 0);
        else
            pipe!.Stop();
    }

    /// <param name="completeHere">This thread may run Completion's continuations (a pool thread, or the starter's); not the reactor.</param>
    private void Finish(bool completeHere)
    {
        timer?.Dispose();
        Volatile.Read(ref drainClock)?.Dispose();
        pipe!.Close();
        if (script is not null)
            ScriptFiles.Delete(script);
        if (completeHere)
            Complete();
        else
            ThreadPool.UnsafeQueueUserWorkItem(static step => step.Complete(), this, preferLocal: false);
    }

    // Continuations of Completion run inline here: on a pool thread, or on the starter's after a quick end; never on the reactor.
    private void Complete()
    {
        Interlocked.Exchange(ref quickExit, null)?.StepEnded();
        if (lineError is not null)
        {
            completion.SetException(lineError);
            return;
        }
        Ending why;
        lock (gate)
            why = ending;
        completion.SetResult(new StepExit(exitCode, why == Ending.TimedOut, why == Ending.Killed, Stopwatch.GetElapsedTime(started), null));
    }

    private void Terminate(Ending why)
    {
        lock (gate)
        {
            if (reaped || ending != Ending.None)
                return;
            ending = why;
            ProcessTree.SignalGroup(pid);
        }
    }

    private unsafe void WaitWithoutPidfd()
    {
        Libc.SigInfo info = default;
        while (Libc.waitid(Libc.P_PID, pid, &info, Libc.WEXITED | Libc.WNOWAIT) < 0 && Libc.LastError == Libc.EINTR)
        {
        }
        OnLeaderExited();
    }
}
