using System.Diagnostics;
using System.Text.RegularExpressions;
using Loom.Actors.Tests.Persistence;
using Loom.Cluster.Tests.Support;
using Xunit.Abstractions;

namespace Loom.Cluster.Tests;

/// <summary>Three real <c>loom serve</c> processes on loopback sharing a PostgreSQL database.</summary>
public sealed partial class ClusterProcessTests(ITestOutputHelper testOutput) : ProcessTests(testOutput, "loom-cluster-")
{

    [PostgresFact]
    public async Task A_restarted_first_seed_rejoins_the_running_cluster_and_a_SIGTERMed_node_leaves_it()
    {
        database = await TestPostgres.CreateDatabaseAsync();
        var ports = Enumerable.Range(0, 3).Select(_ => ServeProcess.FreePort()).ToArray();
        var addresses = ports.Select(p => $"akka.tcp://loom@127.0.0.1:{p}").ToArray();
        // Every node lists every seed, in the same order.
        string[] Args(int i) =>
        [
            "serve", "--port", ports[i].ToString(), "--workspace", $"node-{i}", "--db", database.ConnectionString, "--drain-timeout", "10s",
            .. ports.SelectMany(p => new[] { "--seed", $"127.0.0.1:{p}" }),
        ];
        var clock = Stopwatch.StartNew();
        var nodes = Enumerable.Range(0, 3).Select(i => Start(Args(i))).ToArray();
        foreach (var node in nodes)
            await AllUpAsync(node, addresses);
        output.WriteLine($"cold start of 3 nodes to all Up: {clock.ElapsedMilliseconds} ms");
        var firstUid = UidOf(nodes[1].Lines, addresses[0]);

        // kill -9 the first seed (the oldest member, the leader), then start it again with the same command.
        nodes[0].Dispose();
        clock.Restart();
        var restarted = Start(Args(0));
        var (up, _) = await restarted.WaitForLineAsync(l => l.Contains($"node up {addresses[0]}; members: ", StringComparison.Ordinal));
        output.WriteLine($"restart of the first seed to Up: {clock.ElapsedMilliseconds} ms");
        // Up in the SAME cluster: it sees the two others as members, and they see its new incarnation.
        Assert.Contains(addresses[1], up);
        Assert.Contains(addresses[2], up);
        foreach (var survivor in nodes[1..])
        {
            await survivor.WaitForLineAsync(l => l.Contains($"member up {addresses[0]} ", StringComparison.Ordinal) && UidIn(l) != firstUid);
        }
        Assert.DoesNotContain(restarted.Lines, l => l.Contains("forming a new cluster", StringComparison.Ordinal));

        // SIGTERM: the node drains, leaves (the others see it removed) and exits 0.
        var leaving = nodes[2];
        leaving.Signal("TERM");
        Assert.Equal(0, await leaving.WaitForExitAsync());
        foreach (var survivor in new[] { restarted, nodes[1] })
            await survivor.WaitForLineAsync(l => l.Contains($"member removed {addresses[2]} ", StringComparison.Ordinal) && l.Contains("was Exiting", StringComparison.Ordinal));
    }

    private ServeProcess Start(string[] args)
    {
        var process = ServeProcess.Start(folder, args);
        processes.Add(process);
        return process;
    }

    private static async Task AllUpAsync(ServeProcess node, string[] addresses)
    {
        foreach (var address in addresses)
            await node.WaitForLineAsync(l => l.Contains($"member up {address} ", StringComparison.Ordinal));
    }

    private static long? UidOf(IEnumerable<string> lines, string address) =>
        lines.Where(l => l.Contains($"member up {address} ", StringComparison.Ordinal)).Select(UidIn).FirstOrDefault();

    private static long? UidIn(string line) => Uid().Match(line) is { Success: true } m ? long.Parse(m.Groups[1].Value) : null;

    [GeneratedRegex(@"\(uid (-?\d+)")]
    private static partial Regex Uid();
}
