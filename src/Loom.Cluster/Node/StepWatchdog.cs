using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Loom.Actors.Execution;
using Serilog;

namespace Loom.Cluster.Node;

/// <summary>
/// The process beside a <c>loom serve</c> node that kills the node's step process trees when the node ends without having
/// ended them (<c>kill -9</c>, the OOM killer, a crash), within milliseconds: a <see cref="Watchdog"/> that, at EOF, runs
/// <see cref="NodeGate.KillLeftovers"/> over the records the gate keeps, with the gate's pid and start-time checks. After a
/// graceful stop no step is recorded any more and it just exits. The node starts it again if it ends before the node does.
/// </summary>
public sealed class StepWatchdog : IDisposable
{
    /// <summary>A watchdog that ends sooner after its start cannot run: it is not started again (it would be, forever).</summary>
    private static readonly TimeSpan ShortestLife = TimeSpan.FromSeconds(1);

    private readonly IReadOnlyList<string> command;
    private readonly Lock sync = new();
    private Watchdog current;
    private bool disposed;

    private StepWatchdog(IReadOnlyList<string> command)
    {
        this.command = command;
        current = Launch(command);
        Watch(current);
    }

    /// <summary>The watchdog's pid now.</summary>
    public int Pid
    {
        get
        {
            lock (sync)
                return current.Pid;
        }
    }

    /// <summary>
    /// Starts <paramref name="command"/> (<c>loom __step-watchdog</c>) with <paramref name="records"/>, the gate's folder, as
    /// its last argument; an <see cref="InvalidOperationException"/> when it cannot be started.
    /// </summary>
    public static StepWatchdog Start(IReadOnlyList<string> command, string records) => new([.. command, records]);

    /// <summary>
    /// The watchdog's whole life (<c>loom __step-watchdog FOLDER</c>): waits for its node's end, then kills the process trees
    /// recorded in <paramref name="records"/> and reports each on <paramref name="log"/>. 1 when there is no node to watch.
    /// </summary>
    public static int Run(string records, TextWriter log)
    {
        if (!Watchdog.AwaitParentEnd(out var end))
        {
            log.WriteLine("loom: error: the step watchdog reads its node's end on stdin, which failed (it runs only beside loom serve)");
            return 1;
        }
        foreach (var (process, entity) in NodeGate.KillLeftovers(records, startedBy: end, NodeGate.SpawnSettle))
        {
            try
            {
                log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{DateTime.Now:HH:mm:ss.fff} WRN killed step process {process.Pid} (entity {entity}): its node ended without stopping it"));
            }
            catch (IOException)
            {
                // Nobody reads the node's stderr any more; the kills are done.
            }
        }
        return 0;
    }

    /// <summary>Closes the watchdog's pipe: it kills whatever is still recorded (nothing, after a drain) and exits.</summary>
    public void Dispose()
    {
        lock (sync)
        {
            disposed = true;
            current.Dispose();
        }
    }

    private static Watchdog Launch(IReadOnlyList<string> command)
    {
        try
        {
            return Watchdog.Start(command);
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"could not start the step watchdog ({string.Join(' ', command)}): {e.Message}");
        }
    }

    private void Watch(Watchdog watchdog)
    {
        var started = Stopwatch.GetTimestamp();
        Log.Information("step watchdog started (pid {Pid})", watchdog.Pid);
        watchdog.Exited.ContinueWith(exit => OnExited(watchdog, exit.Result, Stopwatch.GetElapsedTime(started)), TaskScheduler.Default);
    }

    private void OnExited(Watchdog watchdog, int exit, TimeSpan life)
    {
        lock (sync)
        {
            if (disposed || watchdog != current)
                return;
            watchdog.Dispose();
            if (life < ShortestLife)
            {
                Log.Error("the step watchdog (pid {Pid}) exited with {ExitCode} at once, and is not started again: a kill -9 of this node "
                    + "would leave its step processes running until the node starts again", watchdog.Pid, exit);
                return;
            }
            Log.Error("the step watchdog (pid {Pid}) exited with {ExitCode}; starting it again", watchdog.Pid, exit);
            try
            {
                current = Launch(command);
            }
            catch (InvalidOperationException e)
            {
                Log.Error("{Error}: a kill -9 of this node would leave its step processes running until the node starts again", e.Message);
                return;
            }
            Watch(current);
        }
    }
}
