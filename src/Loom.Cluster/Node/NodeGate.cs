using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Akka.Actor;
using Akka.Event;
using Loom.Actors;
using Loom.Actors.Execution;
using Loom.Actors.Running;
using static Loom.Cluster.Node.NodeGateProtocol;

namespace Loom.Cluster.Node;

/// <summary>Marker for Akka.Hosting's <c>ActorRegistry</c>: the node's <see cref="NodeGate"/>.</summary>
public sealed class NodeGateKey;

/// <summary>
/// The node-local keeper of the node's capacity, of the step processes its runners started, and of draining.
/// <list type="bullet">
/// <item>Grants up to <c>capacity</c> slots; a holder is watched, and its slot is freed on <see cref="Release"/> or when it stops.</item>
/// <item>Records each step process in <c>&lt;records&gt;/&lt;pid&gt;.proc</c> (pid, start time, entity) until it ends. When the gate
/// starts it kills the process trees a previous incarnation of the node left (after a <c>kill -9</c>), so a job re-run
/// elsewhere is never also still running here; a recorded pid now used by another process is left alone (its start time differs).
/// The gate hears of a process only after its spawn; what a node killed in between leaves running is named by the ledger
/// its runner entity keeps beside the records (<c>&lt;entity&gt;.ledger</c>, written by the step's child before its exec),
/// which the same sweep reads.</item>
/// <item><see cref="Drain"/>: refuse new slots; answer <see cref="Drained"/> when every slot is free, or after the grace, once the
/// holders were sent <see cref="Abandon"/> and had <c>abandonWait</c> to hand their jobs back.</item>
/// </list>
/// </summary>
public sealed class NodeGate : UntypedActor, IWithTimers
{
    public const string RecordExtension = ".proc";

    public const string LedgerExtension = ".ledger";

    // File names are at most 255 bytes.
    private const int MaxLedgerName = 200;

    /// <summary>
    /// How long the step watchdog's sweep, milliseconds after its node died, waits for a spawn the node had under way to
    /// write its child's pid in a ledger. The gate's own sweep, at the next start, comes long after any such spawn ended.
    /// </summary>
    public static readonly TimeSpan SpawnSettle = TimeSpan.FromMilliseconds(100);

    /// <summary>How long holders get to hand their jobs back after <see cref="Abandon"/> before the drain ends anyway.</summary>
    public static readonly TimeSpan DefaultAbandonWait = TimeSpan.FromSeconds(5);

    private readonly int capacity;
    private readonly string records;
    private readonly TimeSpan abandonWait;
    private readonly ILoggingAdapter log = Context.GetLogger();
    private readonly Dictionary<string, IActorRef> holders = new(StringComparer.Ordinal);
    private readonly Dictionary<IActorRef, string> holderEntities = [];
    private readonly Dictionary<string, Dictionary<int, long>> processes = new(StringComparer.Ordinal);
    private readonly List<IActorRef> drainWaiters = [];
    private DrainState drain = DrainState.None;

    public NodeGate(int capacity, string recordsFolder, TimeSpan? abandonWait = null)
    {
        this.capacity = capacity;
        records = recordsFolder;
        this.abandonWait = abandonWait ?? DefaultAbandonWait;
    }

    public static Props Props(int capacity, string recordsFolder, TimeSpan? abandonWait = null) =>
        ActorProps.Of(() => new NodeGate(capacity, recordsFolder, abandonWait));

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>The slots taken now (for tests and the node's status).</summary>
    public sealed record GetStatus
    {
        public static readonly GetStatus Instance = new();
    }

    public sealed record Status(int Capacity, IReadOnlyList<string> Holders, bool Draining, int RecordedProcesses);

    protected override void PreStart()
    {
        Directory.CreateDirectory(records);
        foreach (var (identity, entity) in KillLeftovers(records))
            log.Warning("killed step process {0} (entity {1}) that a previous run of this node left running", identity.Pid, entity);
    }

    /// <summary>
    /// Kills the process trees recorded in <paramref name="folder"/> and deletes the records. Returns the recorded processes
    /// that were still running (and are now killed); a pid that ended, or now belongs to another process, is only forgotten.
    /// A record of a process started after <paramref name="startedBy"/> (in /proc's clock ticks) is left as it is: the
    /// step watchdog passes the moment its node ended, and a later incarnation of the node wrote such a record.
    /// </summary>
    /// <param name="spawnSettle">How long to wait for a ledger's line whose spawn is under way (<see cref="SpawnSettle"/>).</param>
    public static IReadOnlyList<(ProcessIdentity Process, string Entity)> KillLeftovers(string folder, long startedBy = long.MaxValue,
        TimeSpan spawnSettle = default)
    {
        var killed = new List<(ProcessIdentity, string)>();
        if (!Directory.Exists(folder))
            return killed;
        foreach (var file in Directory.EnumerateFiles(folder, "*" + RecordExtension))
        {
            if (TryReadRecord(file, out var identity, out var entity))
            {
                if (identity.StartTimeTicks > startedBy)
                    continue;
                var running = ProcessTree.IsRunning(identity);
                // Also when the leader is gone: KillGroup then kills what is left of its session, started no earlier than it.
                ProcessTree.KillGroup(identity);
                if (running)
                    killed.Add((identity, entity));
            }
            File.Delete(file);
        }
        KillLedgered(folder, startedBy, spawnSettle, killed);
        return killed;
    }

    /// <summary>
    /// What the runners' ledgers (<see cref="LedgerPath"/>) name and no record does: a process whose spawn the node's end
    /// interrupted, before the gate heard of it. A ledger with a line of a later incarnation is kept.
    /// </summary>
    private static void KillLedgered(string folder, long startedBy, TimeSpan spawnSettle, List<(ProcessIdentity, string)> killed)
    {
        var recorded = killed.Select(k => k.Item1).ToList();
        foreach (var file in Directory.EnumerateFiles(folder, "*" + LedgerExtension))
        {
            var entity = Uri.UnescapeDataString(Path.GetFileNameWithoutExtension(file));
            var later = false;
            foreach (var entry in ProcessLedger.Read(file, spawnSettle))
            {
                if (entry.Process.StartTimeTicks > startedBy)
                {
                    later = true;
                    continue;
                }
                if (recorded.Any(entry.Names))
                    continue;
                var live = ProcessTree.IdentityOf(entry.Process.Pid);
                ProcessTree.KillGroup(entry.Process, entry.LatestStartTicks);
                if (live is { } process && entry.Names(process))
                    killed.Add((process, entity));
            }
            if (!later)
                File.Delete(file);
        }
    }

    /// <summary>The record of one step process: <c>pid start-ticks entity</c> on one line.</summary>
    public static void WriteRecord(string folder, ProcessIdentity process, string entity)
    {
        var path = RecordPath(folder, process.Pid);
        var temporary = path + ".tmp";
        // Renamed into place: a node killed mid-write leaves a whole record or none (the page cache outlives the process).
        File.WriteAllText(temporary, string.Create(CultureInfo.InvariantCulture, $"{process.Pid} {process.StartTimeTicks} {entity}\n"));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>
    /// The process ledger a runner entity keeps in <paramref name="folder"/> while it runs its job (see <see cref="Runners.RunnerEntity"/>):
    /// named after the entity, or its hash where the name would be too long for a file.
    /// </summary>
    public static string LedgerPath(string folder, string entity)
    {
        var name = Uri.EscapeDataString(entity);
        if (name.Length > MaxLedgerName)
            name = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(entity)));
        return Path.Combine(folder, name + LedgerExtension);
    }

    public static string RecordPath(string folder, int pid) => Path.Combine(folder, pid.ToString(CultureInfo.InvariantCulture) + RecordExtension);

    private static bool TryReadRecord(string file, out ProcessIdentity identity, out string entity)
    {
        identity = default;
        entity = "";
        string text;
        try
        {
            text = File.ReadAllText(file);
        }
        catch (IOException)
        {
            return false;
        }
        var parts = text.TrimEnd('\n').Split(' ', 3);
        if (parts.Length < 2 || !int.TryParse(parts[0], CultureInfo.InvariantCulture, out var pid)
            || !long.TryParse(parts[1], CultureInfo.InvariantCulture, out var ticks))
            return false;
        identity = new ProcessIdentity(pid, ticks);
        entity = parts.Length == 3 ? parts[2] : "";
        return true;
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Acquire acquire:
                OnAcquire(acquire);
                break;
            case Release release:
                if (holders.TryGetValue(release.EntityId, out var holder) && holder.Equals(Sender))
                    Free(release.EntityId);
                break;
            case Terminated terminated:
                if (holderEntities.TryGetValue(terminated.ActorRef, out var entity))
                {
                    // A runner that stopped without ending its processes (it crashed): nothing of its job may go on.
                    KillProcessesOf(entity);
                    Free(entity);
                }
                break;
            case ProcessStarted started:
                OnProcessStarted(started);
                break;
            case ProcessEnded ended:
                Forget(ended.EntityId, ended.Pid);
                break;
            case Drain start:
                OnDrain(start);
                break;
            case GraceOver:
                drain = DrainState.Abandoning;
                foreach (var (id, runner) in holders)
                    runner.Tell(new Abandon($"the node is stopping and job {id} did not finish within the drain timeout"));
                Timers.StartSingleTimer(AbandonOver.Instance, AbandonOver.Instance, abandonWait);
                break;
            case AbandonOver:
                log.Warning("drain ended with {0} slot(s) still held: {1}", holders.Count, string.Join(", ", holders.Keys));
                AnswerDrained();
                break;
            case GetStatus:
                Sender.Tell(new Status(capacity, holders.Keys.Order(StringComparer.Ordinal).ToList(), drain != DrainState.None, processes.Values.Sum(p => p.Count)));
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void OnAcquire(Acquire acquire)
    {
        if (holders.TryGetValue(acquire.EntityId, out var current))
        {
            // The same job asks again (a retried message, or a new incarnation of its runner): it keeps its one slot.
            if (!current.Equals(Sender))
            {
                Context.Unwatch(current);
                holderEntities.Remove(current);
                Hold(acquire.EntityId);
            }
            Sender.Tell(new Granted(acquire.EntityId));
        }
        else if (drain != DrainState.None)
            Sender.Tell(new Refused(acquire.EntityId, "the node is draining", Draining: true));
        else if (holders.Count >= capacity)
            Sender.Tell(new Refused(acquire.EntityId, $"the node is full ({capacity} of {capacity} slots taken)"));
        else
        {
            Hold(acquire.EntityId);
            Sender.Tell(new Granted(acquire.EntityId));
        }
    }

    private void Hold(string entity)
    {
        holders[entity] = Sender;
        holderEntities[Sender] = entity;
        Context.Watch(Sender);
    }

    private void Free(string entity)
    {
        if (!holders.Remove(entity, out var holder))
            return;
        holderEntities.Remove(holder);
        Context.Unwatch(holder);
        if (drain != DrainState.None && holders.Count == 0)
            AnswerDrained();
    }

    private void OnProcessStarted(ProcessStarted started)
    {
        var identity = new ProcessIdentity(started.Pid, started.StartTicks);
        try
        {
            WriteRecord(records, identity, started.EntityId);
        }
        catch (IOException e)
        {
            // The job runs on; only a kill -9 of this node would leave its processes unkilled.
            log.Error(e, "could not record step process {0} of {1}", started.Pid, started.EntityId);
        }
        if (!processes.TryGetValue(started.EntityId, out var pids))
            processes[started.EntityId] = pids = [];
        pids[started.Pid] = started.StartTicks;
    }

    private void Forget(string entity, int pid)
    {
        if (processes.TryGetValue(entity, out var pids))
        {
            pids.Remove(pid);
            if (pids.Count == 0)
                processes.Remove(entity);
        }
        File.Delete(RecordPath(records, pid));
    }

    private void KillProcessesOf(string entity)
    {
        if (!processes.TryGetValue(entity, out var pids))
            return;
        foreach (var (pid, ticks) in pids.ToList())
        {
            ProcessTree.KillGroup(new ProcessIdentity(pid, ticks));
            Forget(entity, pid);
        }
    }

    private void OnDrain(Drain start)
    {
        drainWaiters.Add(Sender);
        if (drain == DrainState.Done || holders.Count == 0)
        {
            AnswerDrained();
            return;
        }
        if (drain == DrainState.None)
        {
            drain = DrainState.Waiting;
            log.Info("draining: {0} job(s) running, grace {1}", holders.Count, start.Grace);
            Timers.StartSingleTimer(GraceOver.Instance, GraceOver.Instance, start.Grace);
        }
    }

    private void AnswerDrained()
    {
        drain = DrainState.Done;
        Timers.CancelAll();
        foreach (var waiter in drainWaiters)
            waiter.Tell(Drained.Instance);
        drainWaiters.Clear();
    }

    private enum DrainState
    {
        None,
        Waiting,
        Abandoning,
        Done,
    }

    private sealed class GraceOver
    {
        public static readonly GraceOver Instance = new();
    }

    private sealed class AbandonOver
    {
        public static readonly AbandonOver Instance = new();
    }
}
