using System.Diagnostics;
using Loom.Actors.Tests.Persistence;
using Loom.Cluster.Tests.Support;
using Xunit.Abstractions;

namespace Loom.Cluster.Tests.Security;

/// <summary>
/// Real <c>loom serve</c> nodes and <c>loom run --cluster</c> clients over TLS, with a self-signed certificate the test
/// makes: two nodes form a cluster and run a workflow a TLS client submits; a client without TLS, or with another
/// certificate, is turned away within seconds with a line that says why; a node with another certificate cannot join.
/// </summary>
public sealed class TlsProcessTests(ITestOutputHelper testOutput) : ProcessTests(testOutput, "loom-tls-")
{
    private const string Password = "pfx password";

    [PostgresFact]
    public async Task Tls_nodes_form_a_cluster_and_run_a_job_and_turn_away_clients_and_nodes_without_the_cluster_certificate()
    {
        database = await TestPostgres.CreateDatabaseAsync();
        using var clusterCertificate = TestCertificates.Create("loom-cluster");
        using var otherCertificate = TestCertificates.Create("loom-cluster");
        var pfx = TestCertificates.WritePfx(Path.Combine(folder, "cluster.pfx"), clusterCertificate, Password);
        var password = Path.Combine(folder, "pfx-password");
        File.WriteAllText(password, Password + "\n");
        var other = TestCertificates.WritePfx(Path.Combine(folder, "other.pfx"), otherCertificate);
        string[] Tls(string certificate) => certificate == pfx ? ["--tls-certificate", pfx, "--tls-certificate-password-file", password] : ["--tls-certificate", certificate];

        var ports = new[] { ServeProcess.FreePort(), ServeProcess.FreePort(), ServeProcess.FreePort() };
        string[] Node(int i, string certificate) =>
        [
            "serve", "--port", ports[i].ToString(), "--seed", $"127.0.0.1:{ports[0]}", "--workspace", $"node-{i}", "--db", database.ConnectionString,
            "--labels", $"n{i}", "--drain-timeout", "1s", .. Tls(certificate),
        ];
        var nodes = new[] { Start(folder, Node(0, pfx)), Start(folder, Node(1, pfx)) };
        var (start, _) = await nodes[1].WaitForLineAsync(l => l.StartsWith("loom serve: node ", StringComparison.Ordinal));
        Assert.StartsWith($"loom serve: node akka.ssl.tcp://loom@127.0.0.1:{ports[1]} ", start);
        Assert.EndsWith(" tls on", start);
        foreach (var port in ports[..2])
            await nodes[0].WaitForLineAsync(l => l.Contains($"member up akka.ssl.tcp://loom@127.0.0.1:{port} ", StringComparison.Ordinal));

        // A client with the certificate: a job on each node.
        var work = Directory.CreateDirectory(Path.Combine(folder, "work")).FullName;
        File.WriteAllText(Path.Combine(work, ".loom.yml"), """
            jobs:
              a:
                runs-on: n0
                steps:
                  - run: echo "over tls on $LOOM_NODE"
              b:
                runs-on: n1
                needs: a
                steps:
                  - run: echo "over tls on $LOOM_NODE"
            """);
        var (exit, stdout, stderr) = await RunAsync(work, ["run", "--cluster", $"127.0.0.1:{ports[1]}", "--plain", .. Tls(pfx)]);
        Assert.True(exit == 0, $"exit {exit}\n{stdout}\n{string.Join('\n', stderr)}");
        // Each job printed the node it ran on (the lines that echo the command show "$LOOM_NODE" instead).
        var printed = stdout.Split('\n').Where(l => l.Contains("over tls on ", StringComparison.Ordinal) && !l.Contains("$LOOM_NODE", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, printed.Count);
        Assert.NotEqual(printed[0][printed[0].IndexOf("over tls on ", StringComparison.Ordinal)..], printed[1][printed[1].IndexOf("over tls on ", StringComparison.Ordinal)..]);

        // Without TLS: the node closes the connection at once; the client says so within seconds, not after its 30 s timeout.
        var clock = Stopwatch.StartNew();
        (exit, _, stderr) = await RunAsync(work, "run", "--cluster", $"127.0.0.1:{ports[0]}");
        output.WriteLine($"a client without TLS gave up after {clock.ElapsedMilliseconds} ms");
        Assert.Equal(2, exit);
        Assert.Equal($"loom: error: cannot reach the cluster at 127.0.0.1:{ports[0]}: 127.0.0.1:{ports[0]}: the node closed the connection: it uses TLS, so give this client the cluster's certificate with --tls-certificate",
            Assert.Single(stderr));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(25), $"took {clock.Elapsed}");

        // Another certificate (even one with the same name): the client does not accept the node's, and says so at once.
        clock.Restart();
        (exit, _, stderr) = await RunAsync(work, ["run", "--cluster", $"127.0.0.1:{ports[0]}", .. Tls(other)]);
        output.WriteLine($"a client with another certificate gave up after {clock.ElapsedMilliseconds} ms");
        Assert.Equal(2, exit);
        Assert.Equal($"loom: error: cannot reach the cluster at 127.0.0.1:{ports[0]}: the TLS handshake failed: the node's certificate is not the one given with --tls-certificate",
            Assert.Single(stderr));
        Assert.Contains(nodes[0].Lines, l => l.Contains("WRN TLS: refused ", StringComparison.Ordinal) && l.Contains("not the cluster's certificate", StringComparison.Ordinal));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(25), $"took {clock.Elapsed}");

        // A node with another certificate cannot join: its own handshake with the seed fails, and it exits 1.
        var stranger = Start(folder, Node(2, other));
        Assert.Equal(1, await stranger.WaitForExitAsync());
        Assert.Contains(stranger.Lines, l => l.Contains("ERR the node stopped: a TLS handshake it started failed", StringComparison.Ordinal));
        Assert.DoesNotContain(nodes[0].Lines, l => l.Contains($"member up akka.ssl.tcp://loom@127.0.0.1:{ports[2]} ", StringComparison.Ordinal));
        Assert.Contains(nodes[0].Lines, l => l.Contains("Rejected incoming connection", StringComparison.Ordinal));

        // The cluster went on: both nodes are members, and a client with the certificate still runs.
        (exit, stdout, _) = await RunAsync(work, ["run", "--cluster", $"127.0.0.1:{ports[0]}", "--plain", .. Tls(pfx)]);
        Assert.Equal(0, exit);
        Assert.DoesNotContain(nodes.SelectMany(n => n.Lines), l => l.Contains("node stopped", StringComparison.Ordinal) || l.Contains("member removed", StringComparison.Ordinal));
    }

    private ServeProcess Start(string directory, params string[] args)
    {
        var process = ServeProcess.Start(directory, args);
        processes.Add(process);
        return process;
    }

    private async Task<(int Exit, string Stdout, IReadOnlyList<string> Stderr)> RunAsync(string directory, params string[] args)
    {
        var loom = Start(directory, args);
        var exit = await loom.WaitForExitAsync(TimeSpan.FromMinutes(2));
        return (exit, loom.Stdout, loom.Lines);
    }
}
