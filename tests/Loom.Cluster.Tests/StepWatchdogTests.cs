using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Loom.Actors.Execution;
using Loom.Actors.Running;
using Loom.Actors.Tests.Persistence;
using Loom.Cluster.Node;
using Loom.Cluster.Tests.Support;
using Xunit.Abstractions;

namespace Loom.Cluster.Tests;

/// <summary>Real <c>loom serve</c> nodes and the step watchdog each starts beside itself.</summary>
public sealed partial class StepWatchdogTests(ITestOutputHelper testOutput) : ProcessTests(testOutput, "loom-watchdog-")
{
    private readonly List<ProcessIdentity> leftovers = [];

    [PostgresFact]
    public async Task The_step_process_trees_of_a_node_killed_with_SIGKILL_are_killed_at_once()
    {
        database = await TestPostgres.CreateDatabaseAsync();
        var port = ServeProcess.FreePort();
        var node = Start(folder, "serve", "--port", port.ToString(CultureInfo.InvariantCulture), "--workspace", "node", "--db", database.ConnectionString,
            "--ui-port", "off");
        await node.WaitForLineAsync(l => l.Contains("node up ", StringComparison.Ordinal));
        var watchdog = await WatchdogAsync(node);
        var records = Path.Combine(folder, "node", "processes");
        var project = Directory.CreateDirectory(Path.Combine(folder, "project")).FullName;

        // A job that ends leaves nothing among the records: its entity's ledger goes with it.
        File.WriteAllText(Path.Combine(project, ".loom.yml"), "jobs:\n  quick:\n    steps:\n      - run: echo done\n");
        var quick = Start(project, "run", "--cluster", $"127.0.0.1:{port}");
        Assert.Equal(0, await quick.WaitForExitAsync());
        await EventuallyAsync(() => !Directory.EnumerateFileSystemEntries(records).Any(), "the job's ledger to be deleted");

        // A step with a process tree: its shell, a sleep in the background and one in the foreground, each writing its pid.
        var pids = Path.Combine(folder, "pids");
        File.WriteAllText(Path.Combine(project, ".loom.yml"), $$"""
            jobs:
              tree:
                steps:
                  - run: |
                      echo $$ >> '{{pids}}'
                      sleep 300 &
                      echo $! >> '{{pids}}'
                      sh -c 'echo $$ >> "$0"; exec sleep 300' '{{pids}}'
            """);
        var submit = Start(project, "run", "--cluster", $"127.0.0.1:{port}", "--detach");
        Assert.Equal(0, await submit.WaitForExitAsync());
        await EventuallyAsync(() => File.Exists(pids) && File.ReadAllLines(pids).Length == 3, "the step's three processes");
        var tree = File.ReadAllLines(pids).Select(l => ProcessTree.IdentityOf(int.Parse(l, CultureInfo.InvariantCulture))).ToList();
        Assert.All(tree, p => Assert.NotNull(p));
        leftovers.AddRange(tree.Select(p => p!.Value));
        // The step's child wrote its line in its entity's ledger before its exec; the gate records it once it hears of it.
        var ledger = Assert.Single(Directory.EnumerateFiles(records, "*" + NodeGate.LedgerExtension));
        Assert.Contains(ProcessLedger.Read(ledger), e => e.Names(tree[0]!.Value));
        await EventuallyAsync(() => Directory.EnumerateFiles(records, "*.proc").Any(), "the gate's record of the step");

        var clock = Stopwatch.StartNew();
        node.Signal("KILL");
        await EventuallyAsync(() => !leftovers.Any(ProcessTree.IsRunning), "every process of the step to be killed");
        output.WriteLine($"the step's processes were gone {clock.ElapsedMilliseconds} ms after the kill");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the step's processes lived {clock.Elapsed} after their node");

        await EventuallyAsync(() => !ProcessTree.IsRunning(watchdog), "the watchdog to exit");
        Assert.Empty(Directory.EnumerateFiles(records));
        await node.WaitForLineAsync(l => l.Contains($"killed step process {tree[0]!.Value.Pid} (entity ", StringComparison.Ordinal)
            && l.Contains("its node ended without stopping it", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_watchdog_keeps_out_of_the_nodes_signals_is_started_again_if_killed_and_ends_after_a_graceful_stop()
    {
        var node = Start(folder, "serve", "--port", "0", "--workspace", "node", "--ui-port", "off");
        await node.WaitForLineAsync(l => l.Contains("node up ", StringComparison.Ordinal));
        var watchdog = await WatchdogAsync(node);

        // A session (and so a process group) of its own: a Ctrl-C in the node's terminal, which signals the whole foreground
        // group, asks the node to drain and does not reach the watchdog. And the signals that stop a process are ignored.
        Assert.Equal(watchdog.Pid.ToString(CultureInfo.InvariantCulture), StatusField(watchdog.Pid, "NSsid"));
        const ulong hupIntTerm = 1UL << (1 - 1) | 1UL << (2 - 1) | 1UL << (15 - 1);
        await EventuallyAsync(() => (ulong.Parse(StatusField(watchdog.Pid, "SigIgn") ?? "0", NumberStyles.HexNumber, CultureInfo.InvariantCulture) & hupIntTerm) == hupIntTerm,
            "SIGHUP, SIGINT and SIGTERM to be ignored");
        foreach (var signal in new[] { "HUP", "INT", "TERM" })
            Signal(watchdog.Pid, signal);
        // Ignored signals are dropped when sent: had one been fatal, the process would be gone already.
        Assert.True(ProcessTree.IsRunning(watchdog));

        // Killed while the node runs: the node starts another (once the first has lived a second: one that ends sooner cannot run).
        var (_, startIndex) = await node.WaitForLineAsync(l => l.Contains($"step watchdog started (pid {watchdog.Pid})", StringComparison.Ordinal));
        await EventuallyAsync(() => ProcessTree.BootTicks() - watchdog.StartTimeTicks > 150, "the watchdog to have lived a second");
        Signal(watchdog.Pid, "KILL");
        await node.WaitForLineAsync(l => l.Contains($"the step watchdog (pid {watchdog.Pid}) exited with 137; starting it again", StringComparison.Ordinal), startIndex);
        var next = await WatchdogAsync(node, startIndex + 1);
        Assert.NotEqual(watchdog.Pid, next.Pid);

        node.Signal("TERM");
        Assert.Equal(0, await node.WaitForExitAsync());
        await EventuallyAsync(() => !ProcessTree.IsRunning(next), "the watchdog to exit after its node");
        Assert.DoesNotContain(node.Lines, l => l.Contains("killed step process", StringComparison.Ordinal));
    }

    /// <summary>The watchdog the node logged it started (from line <paramref name="from"/> on), once it runs.</summary>
    private static async Task<ProcessIdentity> WatchdogAsync(ServeProcess node, int from = 0)
    {
        var (line, _) = await node.WaitForLineAsync(l => WatchdogStarted().IsMatch(l), from);
        var pid = int.Parse(WatchdogStarted().Match(line).Groups[1].Value, CultureInfo.InvariantCulture);
        ProcessIdentity? identity = null;
        await EventuallyAsync(() => (identity = ProcessTree.IdentityOf(pid)) is not null, $"watchdog {pid} in /proc");
        return identity!.Value;
    }

    [GeneratedRegex(@"step watchdog started \(pid (\d+)\)")]
    private static partial Regex WatchdogStarted();

    private static string? StatusField(int pid, string name) =>
        File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.Ordinal))?[(name.Length + 1)..].Trim();

    private static void Signal(int pid, string name)
    {
        using var kill = Process.Start("kill", ["-" + name, pid.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    private static async Task EventuallyAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + ServeProcess.Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"timed out waiting for {what}");
            await Task.Delay(10);
        }
    }

    private ServeProcess Start(string directory, params string[] args)
    {
        var process = ServeProcess.Start(directory, args);
        processes.Add(process);
        return process;
    }

    public override async Task DisposeAsync()
    {
        // A failed test leaves no sleep behind.
        foreach (var process in leftovers)
            ProcessTree.KillGroup(process);
        await base.DisposeAsync();
    }
}
