using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Hosting;
using Loom.Actors.Hosting;
using Loom.Actors.Persistence;
using Loom.Actors.Serialization;
using Loom.Actors.Tests.Persistence;
using Loom.Cluster.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace Loom.Cluster.Tests.Security;

/// <summary>
/// A real <c>loom serve</c> with a cluster secret and real <c>loom run --cluster</c> clients: without the secret or with a
/// wrong one the client is refused (exit 2, one line), the node logs it (never the secret) and nothing is stored or run;
/// with it the run goes as before. The node binds this machine's own network address when it has one (a secret is
/// required there), while the client's remoting stays on 127.0.0.1.
/// </summary>
public sealed class ClusterSecretProcessTests(ITestOutputHelper testOutput) : ProcessTests(testOutput, "loom-secret-")
{
    private const string Secret = "the-shared-secret-of-this-cluster-7f3a";
    private const string WrongSecret = "not-the-secret-of-this-cluster-9c2e";

    [PostgresFact]
    public async Task A_node_with_a_secret_refuses_a_missing_or_wrong_secret_logs_it_stores_nothing_and_runs_with_the_right_one()
    {
        database = await TestPostgres.CreateDatabaseAsync();
        var host = NonLoopbackAddress() ?? "127.0.0.1";
        output.WriteLine($"the node binds {host}");
        var port = ServeProcess.FreePort();
        var secretFile = Write("cluster-secret", Secret + "\n");
        var node = Start(folder, null, "serve", "--hostname", host, "--port", port.ToString(), "--workspace", "node", "--db", database.ConnectionString,
            "--cluster-secret-file", secretFile, "--drain-timeout", "1s");
        var (start, _) = await node.WaitForLineAsync(l => l.StartsWith("loom serve: node ", StringComparison.Ordinal));
        Assert.EndsWith(" state postgresql secret on", start);
        await node.WaitForLineAsync(l => l.Contains("node up ", StringComparison.Ordinal));

        var work = Directory.CreateDirectory(Path.Combine(folder, "work")).FullName;
        File.WriteAllText(Path.Combine(work, "data.txt"), "from the workspace\n");
        File.WriteAllText(Path.Combine(work, ".loom.yml"), "jobs:\n  a:\n    steps:\n      - run: cat data.txt && echo \"ran on the cluster\"\n");
        var contact = $"{host}:{port}";

        // No secret: refused at the first request (which files the cluster lacks), before anything is sent.
        var (exit, stdout, stderr) = await RunAsync(work, null, "run", "--cluster", contact, "--plain");
        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        Assert.Equal($"loom: error: the cluster at {contact} refused the request: it carried no cluster secret; give it the cluster's secret with --cluster-secret-file (or LOOM_CLUSTER_SECRET_FILE)",
            Assert.Single(stderr));
        var (refusal, index) = await node.WaitForLineAsync(l => l.Contains("Refused FindMissingBlobs from ", StringComparison.Ordinal));
        // The client's own address: its remoting is on loopback, even to reach a node on another address.
        Assert.Matches(@" WRN Refused FindMissingBlobs from akka\.tcp://loom-submit@127\.0\.0\.1:\d+: it carried no cluster secret$", refusal);

        // A wrong secret, from a file named by the option.
        (exit, stdout, stderr) = await RunAsync(work, null, "run", "--cluster", contact, "--plain", "--cluster-secret-file", Write("wrong", WrongSecret));
        Assert.Equal(2, exit);
        Assert.Equal($"loom: error: the cluster at {contact} refused the request: it carried a wrong cluster secret; the secret given is not the cluster's",
            Assert.Single(stderr));
        await node.WaitForLineAsync(l => l.Contains("Refused FindMissingBlobs from ", StringComparison.Ordinal)
            && l.EndsWith(": it carried a wrong cluster secret", StringComparison.Ordinal), from: index + 1);
        // --detach is refused the same way.
        (exit, _, stderr) = await RunAsync(work, null, "run", "--cluster", contact, "--detach", "--cluster-secret-file", Write("wrong", WrongSecret));
        Assert.Equal(2, exit);
        Assert.Contains("refused the request: it carried a wrong cluster secret", Assert.Single(stderr));

        // Nothing of the refused requests reached the cluster: no file stored, no run.
        Assert.Equal(0, await BlobCountAsync());
        Assert.Empty(await RunsAsync());

        // The right secret, from the file LOOM_CLUSTER_SECRET_FILE names: the run goes on as without a secret.
        (exit, stdout, stderr) = await RunAsync(work, new() { ["LOOM_CLUSTER_SECRET_FILE"] = secretFile }, "run", "--cluster", contact, "--plain");
        Assert.True(exit == 0, $"exit {exit}\n{stdout}\n{string.Join('\n', stderr)}");
        Assert.Contains("from the workspace", stdout);
        Assert.Contains("ran on the cluster", stdout);
        Assert.Single(await RunsAsync());
        Assert.True(await BlobCountAsync() > 0);

        // Neither secret ever reaches the node's log.
        var log = node.Stderr + File.ReadAllText(Path.Combine(folder, "node", "logs", "node.log"));
        Assert.DoesNotContain(Secret, log);
        Assert.DoesNotContain(WrongSecret, log);
    }

    [Fact]
    public async Task A_client_that_reaches_no_node_says_so_within_seconds()
    {
        var port = ServeProcess.FreePort();
        var work = Directory.CreateDirectory(Path.Combine(folder, "work")).FullName;
        File.WriteAllText(Path.Combine(work, ".loom.yml"), "jobs:\n  a:\n    steps:\n      - run: echo hi\n");
        var clock = Stopwatch.StartNew();
        var (exit, _, stderr) = await RunAsync(work, null, "run", "--cluster", $"127.0.0.1:{port}");
        output.WriteLine($"gave up after {clock.ElapsedMilliseconds} ms");
        Assert.Equal(2, exit);
        Assert.Equal($"loom: error: cannot reach the cluster at 127.0.0.1:{port}: 127.0.0.1:{port}: connection refused (no node listens there)", Assert.Single(stderr));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(25), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_client_security_file_that_cannot_be_used_is_one_line_and_exit_code_2()
    {
        var work = Directory.CreateDirectory(Path.Combine(folder, "work")).FullName;
        File.WriteAllText(Path.Combine(work, ".loom.yml"), "jobs:\n  a:\n    steps:\n      - run: echo hi\n");
        var (exit, _, stderr) = await RunAsync(work, null, "run", "--cluster", "127.0.0.1:4053", "--cluster-secret-file", "no-such-file");
        Assert.Equal(2, exit);
        Assert.Equal("loom: error: --cluster-secret-file: no-such-file: no such file", Assert.Single(stderr));
        (exit, _, stderr) = await RunAsync(work, new() { ["LOOM_CLUSTER_SECRET_FILE"] = Write("short", "too short") }, "run", "--cluster", "127.0.0.1:4053");
        Assert.Equal(2, exit);
        Assert.Equal($"loom: error: LOOM_CLUSTER_SECRET_FILE: {Path.Combine(folder, "short")}: the cluster secret must be at least 16 characters (it has 9)", Assert.Single(stderr));
        (exit, _, stderr) = await RunAsync(work, null, "run", "--cluster", "127.0.0.1:4053", "--tls-certificate", Write("not.pfx", "not a certificate"));
        Assert.Equal(2, exit);
        Assert.StartsWith($"loom: error: --tls-certificate: {Path.Combine(folder, "not.pfx")}: not a PKCS#12 (.pfx) certificate", Assert.Single(stderr));
    }

    /// <summary>This machine's first IPv4 address that is up and not loopback; null when it has none.</summary>
    internal static string? NonLoopbackAddress() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(i => i.OperationalStatus == OperationalStatus.Up && i.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a) && !a.ToString().StartsWith("169.254.", StringComparison.Ordinal))
            ?.ToString();

    private string Write(string name, string content)
    {
        var path = Path.Combine(folder, name);
        File.WriteAllText(path, content);
        return path;
    }

    private ServeProcess Start(string directory, Dictionary<string, string>? env, params string[] args)
    {
        var process = env is null ? ServeProcess.Start(directory, args) : ServeProcess.Start(directory, env, args);
        processes.Add(process);
        return process;
    }

    private async Task<(int Exit, string Stdout, IReadOnlyList<string> Stderr)> RunAsync(string directory, Dictionary<string, string>? env, params string[] args)
    {
        var loom = Start(directory, env, args);
        var exit = await loom.WaitForExitAsync(TimeSpan.FromMinutes(2));
        return (exit, loom.Stdout, loom.Lines);
    }

    private async Task<long> BlobCountAsync()
    {
        await using var connection = await database!.OpenAsync();
        await using var exists = new Npgsql.NpgsqlCommand("SELECT to_regclass('loom_blobs') IS NOT NULL", connection);
        if (!(bool)(await exists.ExecuteScalarAsync())!)
            return 0;
        await using var count = new Npgsql.NpgsqlCommand("SELECT count(*) FROM loom_blobs", connection);
        return (long)(await count.ExecuteScalarAsync())!;
    }

    /// <summary>The runs the cluster's journal holds, read as the coordinator reads them.</summary>
    private async Task<IReadOnlyList<RunSummary>> RunsAsync()
    {
        var collection = new ServiceCollection();
        collection.AddSingleton<IHostApplicationLifetime, TestLifetime>();
        collection.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        collection.AddAkka("journal-reader", akka => akka
            .WithLoomSerialization()
            .WithLoomPersistence(new LoomPersistenceOptions { PostgresConnectionString = database!.ConnectionString }));
        await using var services = collection.BuildServiceProvider();
        var hosted = services.GetServices<IHostedService>().ToArray();
        foreach (var service in hosted)
            await service.StartAsync(CancellationToken.None);
        try
        {
            return await new RunJournal(services.GetRequiredService<ActorSystem>(), LoomPersistenceOptions.PostgresQueryPluginId).RunsAsync();
        }
        finally
        {
            foreach (var service in hosted.Reverse())
                await service.StopAsync(CancellationToken.None);
        }
    }

    private sealed class TestLifetime : IHostApplicationLifetime
    {
        public CancellationToken ApplicationStarted => CancellationToken.None;
        public CancellationToken ApplicationStopping => CancellationToken.None;
        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication()
        {
        }
    }
}
