using System.Diagnostics;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using Loom.Actors.Execution;
using Loom.Actors.Running;
using Loom.Cluster.Node;
using static Loom.Cluster.Node.NodeGateProtocol;

namespace Loom.Cluster.Tests;

public sealed class NodeGateTests : TestKit, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private readonly string records = Path.Combine(Path.GetTempPath(), "loom-gate-" + Guid.NewGuid().ToString("N"));
    private readonly List<Process> started = [];

    private IActorRef Gate(int capacity, TimeSpan? abandonWait = null) => Sys.ActorOf(NodeGate.Props(capacity, records, abandonWait));

    [Fact]
    public void Grants_up_to_capacity_and_frees_a_slot_on_release_or_when_the_holder_stops()
    {
        var gate = Gate(2);
        var a = CreateTestProbe();
        var b = CreateTestProbe();
        var c = CreateTestProbe();
        gate.Tell(new Acquire("a"), a);
        a.ExpectMsg<Granted>(Patience);
        gate.Tell(new Acquire("b"), b);
        b.ExpectMsg<Granted>(Patience);
        gate.Tell(new Acquire("c"), c);
        Assert.Contains("full", c.ExpectMsg<Refused>(Patience).Reason);
        // Asking again for a slot it holds does not take a second one.
        gate.Tell(new Acquire("a"), a);
        a.ExpectMsg<Granted>(Patience);

        gate.Tell(new Release("a"), a);
        gate.Tell(new Acquire("c"), c);
        c.ExpectMsg<Granted>(Patience);

        Sys.Stop(b.Ref);
        AwaitAssert(() =>
        {
            gate.Tell(new Acquire("d"), TestActor);
            ExpectMsg<Granted>(Patience);
        }, Patience);
        gate.Tell(NodeGate.GetStatus.Instance);
        Assert.Equal(["c", "d"], ExpectMsg<NodeGate.Status>(Patience).Holders);
    }

    [Fact]
    public void A_drain_refuses_new_slots_and_answers_once_every_slot_is_free()
    {
        var gate = Gate(2);
        var runner = CreateTestProbe();
        gate.Tell(new Acquire("a"), runner);
        runner.ExpectMsg<Granted>(Patience);
        gate.Tell(new Drain(TimeSpan.FromMinutes(5)));
        gate.Tell(new Acquire("b"), runner);
        Assert.Contains("draining", runner.ExpectMsg<Refused>(Patience).Reason);
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        gate.Tell(new Release("a"), runner);
        ExpectMsg<Drained>(Patience);
        runner.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void A_drain_without_jobs_answers_at_once()
    {
        var gate = Gate(1);
        gate.Tell(new Drain(TimeSpan.FromMinutes(5)));
        ExpectMsg<Drained>(Patience);
    }

    [Fact]
    public void After_the_grace_holders_are_told_to_abandon_and_the_drain_ends()
    {
        var gate = Gate(2, abandonWait: TimeSpan.FromSeconds(30));
        var quick = CreateTestProbe();
        var stuck = CreateTestProbe();
        gate.Tell(new Acquire("quick"), quick);
        quick.ExpectMsg<Granted>(Patience);
        gate.Tell(new Acquire("stuck"), stuck);
        stuck.ExpectMsg<Granted>(Patience);
        gate.Tell(new Drain(TimeSpan.FromMilliseconds(300)));
        quick.ExpectMsg<Abandon>(Patience);
        Assert.Contains("drain timeout", stuck.ExpectMsg<Abandon>(Patience).Reason);
        // They hand their jobs back and release: the drain is over before the abandon wait.
        gate.Tell(new Release("quick"), quick);
        gate.Tell(new Release("stuck"), stuck);
        ExpectMsg<Drained>(Patience);
    }

    [Fact]
    public void A_holder_that_does_not_release_after_abandon_does_not_hold_the_drain_forever()
    {
        var gate = Gate(1, abandonWait: TimeSpan.FromMilliseconds(300));
        var stuck = CreateTestProbe();
        gate.Tell(new Acquire("stuck"), stuck);
        stuck.ExpectMsg<Granted>(Patience);
        gate.Tell(new Drain(TimeSpan.FromMilliseconds(200)));
        stuck.ExpectMsg<Abandon>(Patience);
        ExpectMsg<Drained>(Patience);
    }

    [Fact]
    public async Task A_new_gate_kills_the_process_groups_a_previous_incarnation_recorded()
    {
        // A step process as a runner starts it: a session and process group of its own, with a background child.
        var step = Start("setsid", "sh", "-c", "sleep 300 & sleep 300");
        var identity = await IdentityOf(step.Id, "sh");
        var gate = Gate(1);
        var runner = CreateTestProbe();
        gate.Tell(new Acquire("job-1"), runner);
        runner.ExpectMsg<Granted>(Patience);
        gate.Tell(new ProcessStarted("job-1", identity.Pid, identity.StartTimeTicks), runner);
        await AwaitAssertAsync(() => Assert.True(File.Exists(NodeGate.RecordPath(records, identity.Pid))), Patience);
        var child = await ChildOf(identity.Pid);

        // The node dies without a word (kill -9): the gate's actor is gone, its record stays. The next incarnation's gate kills the group.
        Watch(gate);
        Sys.Stop(gate);
        ExpectTerminated(gate, Patience);
        Assert.True(ProcessTree.IsRunning(identity));
        var next = Gate(1);
        next.Tell(NodeGate.GetStatus.Instance);
        Assert.Equal(0, ExpectMsg<NodeGate.Status>(Patience).RecordedProcesses);

        using var exited = new CancellationTokenSource(Patience);
        await step.WaitForExitAsync(exited.Token);
        await AwaitAssertAsync(() => Assert.False(ProcessTree.IsRunning(child)), Patience);
        Assert.Empty(Directory.EnumerateFiles(records));
    }

    [Fact]
    public async Task A_record_whose_pid_now_belongs_to_another_process_is_left_alone()
    {
        var other = Start("sleep", "300");
        var identity = await IdentityOf(other.Id, "sleep");
        Directory.CreateDirectory(records);
        // The recorded process started earlier than the one that has its pid now.
        NodeGate.WriteRecord(records, identity with { StartTimeTicks = identity.StartTimeTicks - 1 }, "job-old");
        // And a record of a process that is long gone.
        NodeGate.WriteRecord(records, new ProcessIdentity(int.MaxValue - 1, 12345), "job-gone");

        var killed = NodeGate.KillLeftovers(records);

        Assert.Empty(killed);
        Assert.True(ProcessTree.IsRunning(identity));
        Assert.False(other.HasExited);
        Assert.Empty(Directory.EnumerateFiles(records));
    }

    [Fact]
    public async Task A_record_of_a_process_started_after_the_cutoff_is_left_as_it_is()
    {
        // What the step watchdog of a node that ended may find: a record the node's next incarnation wrote since.
        var later = Start("setsid", "sleep", "300");
        var identity = await IdentityOf(later.Id, "sleep");
        Directory.CreateDirectory(records);
        NodeGate.WriteRecord(records, identity, "job-new");

        var killed = NodeGate.KillLeftovers(records, startedBy: identity.StartTimeTicks - 1);

        Assert.Empty(killed);
        Assert.True(ProcessTree.IsRunning(identity));
        Assert.True(File.Exists(NodeGate.RecordPath(records, identity.Pid)));
        Assert.Equal([(identity, "job-new")], NodeGate.KillLeftovers(records, startedBy: identity.StartTimeTicks));
        using var exited = new CancellationTokenSource(Patience);
        await later.WaitForExitAsync(exited.Token);
        Assert.Empty(Directory.EnumerateFiles(records));
    }

    [Fact]
    public async Task Processes_that_ended_are_forgotten_and_a_crashed_holders_processes_are_killed()
    {
        var gate = Gate(2);
        var runner = CreateTestProbe();
        gate.Tell(new Acquire("job-1"), runner);
        runner.ExpectMsg<Granted>(Patience);
        var done = Start("setsid", "sleep", "300");
        var doneIdentity = await IdentityOf(done.Id, "sleep");
        gate.Tell(new ProcessStarted("job-1", doneIdentity.Pid, doneIdentity.StartTimeTicks), runner);
        gate.Tell(new ProcessEnded("job-1", doneIdentity.Pid), runner);
        var left = Start("setsid", "sleep", "300");
        var leftIdentity = await IdentityOf(left.Id, "sleep");
        gate.Tell(new ProcessStarted("job-1", leftIdentity.Pid, leftIdentity.StartTimeTicks), runner);
        gate.Tell(NodeGate.GetStatus.Instance);
        Assert.Equal(1, ExpectMsg<NodeGate.Status>(Patience).RecordedProcesses);

        // The runner dies without ending its step: the gate kills what it recorded for it (and only that).
        Sys.Stop(runner.Ref);
        using var exited = new CancellationTokenSource(Patience);
        await left.WaitForExitAsync(exited.Token);
        Assert.False(done.HasExited);
        await AwaitAssertAsync(() => Assert.Empty(Directory.EnumerateFiles(records)), Patience);
    }

    [Fact]
    public async Task A_step_that_only_its_runners_ledger_names_is_killed_by_the_sweep_and_reported_once()
    {
        // A runner's ledger as a node killed mid-spawn leaves it: the step's child wrote its line, the gate never heard of it.
        Directory.CreateDirectory(records);
        var unrecorded = NodeGate.LedgerPath(records, "run-1/build/1");
        var ledger = ProcessLedger.Open(unrecorded);
        var environment = new Dictionary<string, string> { ["PATH"] = Environment.GetEnvironmentVariable("PATH")! };
        await using var step = StepProcess.Start(
            new StepLaunch("sleep 300 & sleep 300", null, "/", environment, null) { StartRecord = ledger.Reserve("build", 1).StartRecord }, _ => { });
        var identity = step.Identity!.Value;
        var child = await ChildOf(identity.Pid);
        // And one the gate recorded as well: reported once.
        var both = Start("setsid", "sleep", "300");
        var bothIdentity = await IdentityOf(both.Id, "sleep");
        NodeGate.WriteRecord(records, bothIdentity, "run-1/test/1");
        var recordedLedger = ProcessLedger.Open(NodeGate.LedgerPath(records, "run-1/test/1"));
        recordedLedger.Record("test", 1, bothIdentity);

        var killed = NodeGate.KillLeftovers(records);

        Assert.Equal([(bothIdentity, "run-1/test/1"), (identity, "run-1/build/1")], killed);
        Assert.Equal(137, (await step.Completion.WaitAsync(Patience)).ExitCode);
        await AwaitConditionAsync(() => !ProcessTree.IsRunning(child), Patience);
        using var exited = new CancellationTokenSource(Patience);
        await both.WaitForExitAsync(exited.Token);
        Assert.Empty(Directory.EnumerateFiles(records));
        ledger.Dispose();
        recordedLedger.Dispose();
    }

    [Fact]
    public void The_ledger_of_an_entity_whose_name_is_too_long_for_a_file_is_named_by_its_hash()
    {
        var entity = "run-1/" + new string('u', 300) + "/1";

        var path = NodeGate.LedgerPath(records, entity);

        Assert.True(Path.GetFileName(path).Length <= 255);
        Assert.NotEqual(path, NodeGate.LedgerPath(records, entity[..^1] + "2"));
        using var ledger = ProcessLedger.Open(path);
        Assert.True(File.Exists(path));
    }

    private Process Start(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { UseShellExecute = false };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        var process = Process.Start(start)!;
        started.Add(process);
        return process;
    }

    /// <summary>
    /// The process as /proc has it once it runs <paramref name="program"/> (setsid execs in place: same pid). Not sooner:
    /// before setsid's exec the pid leads no group or session yet, and killing its group would miss it.
    /// </summary>
    private static async Task<ProcessIdentity> IdentityOf(int pid, string program)
    {
        ProcessIdentity? identity = null;
        await AwaitConditionAsync(() => Runs(pid, program) && (identity = ProcessTree.IdentityOf(pid)) is not null, Patience);
        return identity!.Value;
    }

    private static bool Runs(int pid, string program)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").TrimEnd('\n') == program;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static async Task<ProcessIdentity> ChildOf(int pid)
    {
        ProcessIdentity? child = null;
        await AwaitConditionAsync(() =>
        {
            var path = $"/proc/{pid}/task/{pid}/children";
            if (!File.Exists(path) || File.ReadAllText(path).Split(' ', StringSplitOptions.RemoveEmptyEntries) is not [var first, ..])
                return false;
            child = ProcessTree.IdentityOf(int.Parse(first));
            return child is not null;
        }, Patience);
        return child!.Value;
    }

    private static async Task AwaitConditionAsync(Func<bool> condition, TimeSpan patience)
    {
        var deadline = DateTime.UtcNow + patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("condition not met");
            await Task.Delay(20);
        }
    }

    void IDisposable.Dispose()
    {
        foreach (var process in started)
        {
            try
            {
                if (!process.HasExited)
                    process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }
            process.Dispose();
        }
        if (Directory.Exists(records))
            Directory.Delete(records, recursive: true);
        Dispose();
    }
}
