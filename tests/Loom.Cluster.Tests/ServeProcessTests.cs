using System.Diagnostics;
using Loom.Cluster.Tests.Support;
using Xunit.Abstractions;

namespace Loom.Cluster.Tests;

/// <summary>Real <c>loom serve</c> processes: settings errors, a lone node's start and graceful stop.</summary>
public sealed class ServeProcessTests(ITestOutputHelper output) : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("loom-serve-").FullName;

    public static TheoryData<string[], string> BadSettings => new()
    {
        { ["--capacity", "0"], "loom: error: --capacity (Loom:Node:Capacity) must be from 1 to 1024, not 0" },
        { ["--seed", "10.0.0.1"], "loom: error: --seed (Loom:Node:Seeds) must be HOST:PORT with a port from 1 to 65535, not '10.0.0.1'" },
        { ["--seed", "10.0.0.1:4053"], "loom: error: a node that joins others (a --seed other than itself, or --discovery) needs --db" },
        { ["--seed", "10.0.0.1:4053", "--discovery", "kubernetes", "--db", "Host=db"], "loom: error: --seed and --discovery both say how to find the cluster" },
        { ["--drain-timeout", "later"], "loom: error: Loom:Node:DrainTimeout must be a duration" },
        { ["--port"], "loom: error: --port needs a value" },
        // Reachable from other machines without a secret: refused before anything binds.
        { ["--hostname", "10.0.0.1"], "loom: error: --hostname 10.0.0.1 is not a loopback address, so other machines can reach this node: give the cluster a shared secret with --cluster-secret-file (Loom:Node:ClusterSecretFile), or keep the default 127.0.0.1 (see docs/security.md)" },
        { ["--hostname", "0.0.0.0", "--port", "0"], "loom: error: --hostname 0.0.0.0 is not a loopback address" },
        { ["--cluster-secret-file", "no-such-file"], "loom: error: --cluster-secret-file (Loom:Node:ClusterSecretFile): no-such-file: no such file" },
        { ["--tls-certificate", "no-such.pfx"], "loom: error: --tls-certificate (Loom:Node:TlsCertificate): no-such.pfx: no such file" },
        { ["--health-port", "4053"], "loom: error: --health-port 4053 is also the remoting --port: each listener needs a port of its own" },
        { ["--health-host", "0.0.0.0"], "loom: error: --health-host (Loom:Node:HealthHost) is where the health endpoints listen, and they are off: give --health-port too" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public async Task A_bad_setting_is_one_line_and_exit_code_2(string[] args, string error)
    {
        using var serve = ServeProcess.Start(folder, ["serve", .. args]);
        Assert.Equal(2, await serve.WaitForExitAsync());
        var line = Assert.Single(serve.Lines);
        Assert.StartsWith(error, line);
        Assert.Equal("", serve.Stdout);
    }

    [Fact]
    public async Task An_environment_variable_in_dotnet_form_overrides_appsettings_and_is_checked()
    {
        File.WriteAllText(Path.Combine(folder, "appsettings.json"), """{ "Loom": { "Node": { "Capacity": 4 } } }""");
        using var serve = ServeProcess.Start(folder, new Dictionary<string, string> { ["Loom__Node__Capacity"] = "0" }, "serve");
        Assert.Equal(2, await serve.WaitForExitAsync());
        Assert.Equal("loom: error: --capacity (Loom:Node:Capacity) must be from 1 to 1024, not 0", Assert.Single(serve.Lines));
    }

    [Fact]
    public async Task A_broken_appsettings_file_is_one_line()
    {
        File.WriteAllText(Path.Combine(folder, "appsettings.json"), """{ "Loom": { "Node": """);
        using var serve = ServeProcess.Start(folder, "serve");
        Assert.Equal(2, await serve.WaitForExitAsync());
        Assert.StartsWith("loom: error: appsettings.json: ", Assert.Single(serve.Lines));
    }

    [Fact]
    public async Task A_lone_node_is_up_at_once_keeps_state_in_sqlite_and_stops_on_SIGTERM_with_exit_0()
    {
        var port = ServeProcess.FreePort();
        var clock = Stopwatch.StartNew();
        // Settings from appsettings.json, the environment and the command line together.
        File.WriteAllText(Path.Combine(folder, "appsettings.json"), """{ "Loom": { "Node": { "Labels": [ "linux", "gpu" ], "Capacity": 4 } } }""");
        using var serve = ServeProcess.Start(folder, new Dictionary<string, string> { ["Loom__Node__Capacity"] = "3" },
            "serve", "--port", port.ToString(), "--workspace", "node-a");
        var address = $"akka.tcp://loom@127.0.0.1:{port}";
        var (start, _) = await serve.WaitForLineAsync(l => l.StartsWith("loom serve: node ", StringComparison.Ordinal));
        Assert.Equal($"loom serve: node {address} labels linux,gpu capacity 3 workspace {Path.Combine(folder, "node-a")} state sqlite {Path.Combine(folder, "node-a", "state")}", start);
        await serve.WaitForLineAsync(l => l.Contains($"node up {address}; members: {address}", StringComparison.Ordinal));
        output.WriteLine($"start to Up: {clock.ElapsedMilliseconds} ms");
        Assert.Contains(serve.Lines, l => l.Contains("member up " + address, StringComparison.Ordinal)
            && l.Contains("loom-capacity-3", StringComparison.Ordinal) && l.Contains("loom-label-linux", StringComparison.Ordinal) && l.Contains("loom-label-gpu", StringComparison.Ordinal));

        // A second node on the same workspace is refused: the first holds it.
        using var twin = ServeProcess.Start(folder, "serve", "--port", "0", "--workspace", "node-a");
        Assert.Equal(2, await twin.WaitForExitAsync());
        Assert.Contains("is used by another loom serve", Assert.Single(twin.Lines));

        serve.Signal("TERM");
        Assert.Equal(0, await serve.WaitForExitAsync());
        Assert.Contains(serve.Lines, l => l.Contains("node stopped", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(folder, "node-a", "logs", "node.log")));
        Assert.Equal("", serve.Stdout);
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);
}
