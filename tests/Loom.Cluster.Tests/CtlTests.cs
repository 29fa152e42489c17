using System.Diagnostics;
using System.Text.Json;
using Loom.Actors.Tests.Persistence;
using Loom.Cluster.Tests.Support;
using Xunit.Abstractions;

namespace Loom.Cluster.Tests;

/// <summary>
/// <c>loom ctl</c> end to end: three real <c>loom serve</c> processes on PostgreSQL with different labels, a run submitted
/// with <c>loom run --cluster</c>, and <c>loom ctl</c> run as a real process against them (one-shot, <c>--json</c>, and the
/// prompt in a real terminal driven by tmux).
/// </summary>
public sealed class CtlTests(ITestOutputHelper testOutput) : ProcessTests(testOutput, "loom-ctl-")
{
    private static readonly TimeSpan Patience = ServeProcess.Patience;
    private readonly int[] ports = [ServeProcess.FreePort(), ServeProcess.FreePort(), ServeProcess.FreePort()];

    private string Contact(int node) => $"127.0.0.1:{ports[node]}";

    [PostgresFact]
    public async Task Ctl_shows_the_members_and_where_a_running_runs_jobs_are_streams_their_logs_retries_and_makes_a_node_leave()
    {
        await StartClusterAsync(["linux", "linux,gpu", "arm"]);

        // cluster show: three Up members with their labels; --json gives the same as data.
        var show = await CtlAsync(1, "cluster", "show");
        Assert.Contains("3 members", show);
        Assert.Matches($@"127\.0\.0\.1:{ports[0]}\s+Up\s+yes\s+linux\s+2", show);
        Assert.Matches($@"127\.0\.0\.1:{ports[1]}\s+Up\s+yes\s+gpu,linux\s+2", show);
        Assert.Matches($@"127\.0\.0\.1:{ports[2]}\s+Up\s+yes\s+arm\s+2", show);
        using (var json = JsonDocument.Parse(await CtlAsync(0, "cluster", "show", "--json")))
        {
            var members = json.RootElement.GetProperty("all").EnumerateArray().ToList();
            Assert.Equal(3, members.Count);
            Assert.All(members, m => Assert.Equal("Up", m.GetProperty("status").GetString()));
        }

        // A run whose jobs wait for a file the test writes: they are running on more than one node meanwhile.
        var release = Path.Combine(folder, "release");
        var workspace = Directory.CreateDirectory(Path.Combine(folder, "project")).FullName;
        File.WriteAllText(Path.Combine(workspace, ".loom.yml"), $$"""
            name: ctl-demo
            jobs:
              gpu:
                runs-on: gpu
                steps:
                  - name: Train
                    run: echo "first line of gpu"; while [ ! -f '{{release}}' ]; do sleep 0.1; done; echo "last line of gpu"
              one:
                steps:
                  - run: echo "one on $LOOM_NODE"; while [ ! -f '{{release}}' ]; do sleep 0.1; done
              two:
                steps:
                  - run: echo "two on $LOOM_NODE"; while [ ! -f '{{release}}' ]; do sleep 0.1; done
              broken:
                needs: [one]
                steps:
                  - run: exit 4
            """);
        var submit = Track(ServeProcess.Start(workspace, "run", "--cluster", Contact(0), "--detach"));
        Assert.Equal(0, await submit.WaitForExitAsync());
        var runId = submit.Stdout.Trim().Split('\n')[^1].Trim();

        var shardNodes = 0;
        await WaitForAsync(async () =>
        {
            var shards = await CtlAsync(2, "shards");
            shardNodes = System.Text.RegularExpressions.Regex.Matches(shards, @"\d+ shards?, [1-9]\d* runners?").Count;
            return shardNodes >= 2 && shards.Contains($"{runId}/gpu/1", StringComparison.Ordinal);
        });
        var locate = await CtlAsync(0, "shards", "locate", runId, "gpu");
        Assert.Contains($"runs on 127.0.0.1:{ports[1]}", locate);
        var jobs = await CtlAsync(0, "jobs", "--node", Contact(1));
        Assert.Matches($@"{runId}\s+gpu\s+1\s+127\.0\.0\.1:{ports[1]}\s+running", jobs);
        Assert.Contains($"runs held: 1 ({runId})", await CtlAsync(2, "scheduler"));

        // logs --follow streams the running job's output as it comes, and ends when the run is over.
        var follow = Track(ServeProcess.Start(folder, "ctl", Contact(2), "logs", runId, "gpu", "--follow"));
        await WaitForAsync(() => Task.FromResult(follow.Stdout.Contains("[gpu] first line of gpu", StringComparison.Ordinal)));
        Assert.Contains("[gpu] > Train", follow.Stdout);
        Assert.DoesNotContain("last line", follow.Stdout);
        File.WriteAllText(release, "");
        Assert.Equal(0, await follow.WaitForExitAsync());
        Assert.Contains("[gpu] last line of gpu", follow.Stdout);
        Assert.DoesNotContain("[one]", follow.Stdout);

        // The run is over: show and why explain it, as 'loom show' and 'loom why' do locally.
        var shown = await CtlAsync(0, "show", runId);
        Assert.Matches(@"broken\s+failure", shown);
        Assert.Matches(@"gpu\s+success", shown);
        Assert.Contains("step 'exit 4' failed (exit code 4)", await CtlAsync(1, "why", "broken", "--run", runId));
        Assert.Contains(runId, await CtlAsync(2, "runs"));

        // The local run commands with --cluster ask the cluster, as loom ctl does: 'loom logs RUN JOB --cluster HOST:PORT'.
        using (var logs = ServeProcess.Start(folder, new Dictionary<string, string> { ["LOOM_CLUSTER_SECRET_FILE"] = "" }, "logs", runId, "gpu", "--cluster", Contact(1)))
        {
            Assert.Equal(0, await logs.WaitForExitAsync());
            Assert.Contains("[gpu] last line of gpu", logs.Stdout);
        }
        using (var why = ServeProcess.Start(folder, new Dictionary<string, string> { ["LOOM_CLUSTER_SECRET_FILE"] = "" }, "why", "broken", "--run", runId, $"--cluster={Contact(0)}"))
        {
            Assert.Equal(0, await why.WaitForExitAsync());
            Assert.Contains("step 'exit 4' failed (exit code 4)", why.Stdout);
        }

        // retry runs the failed job again, as a new run; the jobs that succeeded are carried over.
        var retried = await CtlAsync(0, "retry", runId, "--max-parallel", "1");
        Assert.Contains($"retries {runId}: 1 job run again (broken)", retried);
        var retryId = retried.Split(' ')[1];
        await WaitForAsync(async () => System.Text.RegularExpressions.Regex.IsMatch(await CtlAsync(0, "runs"), $@"{retryId}\s+ctl-demo\s+failure"));
        var retryShown = await CtlAsync(0, "show", retryId);
        Assert.Matches(@"broken\s+failure", retryShown);
        Assert.Matches(@"gpu\s+success", retryShown);

        // The actor tree and the nodes' recent logs.
        var actors = await CtlAsync(0, "actors", "--node", Contact(1), "--depth", "2");
        Assert.Contains("loom-admin", actors);
        Assert.Contains("loom-coordinator", actors);
        Assert.Contains($"member up", await CtlAsync(0, "log", "peek", "-n", "200", "--level", "info"));

        // validate checks a local file on a node: every error as file:line:col, exit 2; a valid file, its job count.
        File.WriteAllText(Path.Combine(folder, "bad.yml"), "jobs:\n  a:\n    needs: [bulid]\n    steps:\n      - run: echo a\n  build:\n    steps:\n      - run: echo b\n");
        var invalid = await CtlProcessAsync(0, "validate", "bad.yml");
        Assert.Equal(2, invalid.Exit);
        Assert.Matches(@"bad\.yml:3:\d+: error: .*bulid.*did you mean 'build'", invalid.Stderr);
        Assert.Contains(".loom.yml: ok (4 jobs)", await CtlAsync(1, "validate", Path.Combine(workspace, ".loom.yml").Replace(folder + "/", "")));

        // A refusal is an error with its reason: exit 1.
        var unknown = await CtlProcessAsync(0, "show", "no-such-run");
        Assert.Equal(1, unknown.Exit);
        Assert.Contains("no run 'no-such-run'", unknown.Stderr);

        // cluster leave: the node leaves gracefully (its process exits 0), the others see two members, and a tail started
        // before saw it go as it happened; Ctrl-C ends the tail.
        var tail = Track(ServeProcess.Start(folder, "ctl", Contact(0), "cluster", "tail"));
        await WaitForAsync(() => Task.FromResult(tail.Stdout.Split('\n').Count(l => l.Contains("member ", StringComparison.Ordinal)) == 3));
        Assert.Contains("leave requested", await CtlAsync(0, "cluster", "leave", Contact(2)));
        Assert.Equal(0, await processes[2].WaitForExitAsync());
        await WaitForAsync(async () => (await CtlAsync(0, "cluster", "show")).Contains("2 members", StringComparison.Ordinal));
        await WaitForAsync(() => Task.FromResult(System.Text.RegularExpressions.Regex.IsMatch(tail.Stdout, $@"removed\s+127\.0\.0\.1:{ports[2]}")));
        Assert.Matches($@"(left|exited)\s+127\.0\.0\.1:{ports[2]}", tail.Stdout);
        tail.Signal("INT");
        Assert.Equal(0, await tail.WaitForExitAsync());
    }

    [PostgresFact]
    public async Task The_prompt_completes_commands_and_run_ids_and_keeps_a_history()
    {
        await StartClusterAsync(["*"]);
        var workspace = Directory.CreateDirectory(Path.Combine(folder, "project")).FullName;
        File.WriteAllText(Path.Combine(workspace, ".loom.yml"), "jobs:\n  hello:\n    steps:\n      - run: echo hello\n");
        var submit = Track(ServeProcess.Start(workspace, "run", "--cluster", Contact(0)));
        Assert.Equal(0, await submit.WaitForExitAsync());
        var runId = (await CtlAsync(0, "runs")).Split('\n')[1].Split(' ')[0];

        var session = "loom-ctl-" + Guid.NewGuid().ToString("N")[..8];
        var loom = Path.Combine(AppContext.BaseDirectory, "loom.dll");
        await Tmux("new-session", "-d", "-s", session, "-x", "160", "-y", "40",
            $"cd '{folder}' && HOME='{folder}' dotnet '{loom}' ctl {Contact(0)}; echo exited $? > '{Path.Combine(folder, "exit.txt")}'; sleep 60");
        try
        {
            await ScreenAsync(session, s => s.Contains("connected to the cluster", StringComparison.Ordinal));
            // "clu<Tab>" completes to "cluster ", "sh<Tab>" to "show ".
            await Tmux("send-keys", "-t", session, "clu", "Tab");
            // (tmux's capture leaves out the space the completion added at the end of the line)
            await ScreenAsync(session, s => s.Contains("> cluster", StringComparison.Ordinal));
            await Tmux("send-keys", "-t", session, "sh", "Tab", "Enter");
            await ScreenAsync(session, s => s.Contains("1 member;", StringComparison.Ordinal));
            // A run id completes from the cluster's runs.
            await Tmux("send-keys", "-t", session, "show ", "Tab");
            await ScreenAsync(session, s => s.Contains($"> show {runId}", StringComparison.Ordinal));
            await Tmux("send-keys", "-t", session, "Enter");
            await ScreenAsync(session, s => System.Text.RegularExpressions.Regex.IsMatch(s, @"hello\s+success"));
            // Up twice brings back "cluster show".
            await Tmux("send-keys", "-t", session, "Up", "Up", "Enter");
            await ScreenAsync(session, s => System.Text.RegularExpressions.Regex.Matches(s, "1 member;").Count >= 2);
            await Tmux("send-keys", "-t", session, "C-d");
            // Created (by the shell's redirection) a moment before the line is written into it.
            await WaitForAsync(() => Task.FromResult(File.Exists(Path.Combine(folder, "exit.txt")) && File.ReadAllText(Path.Combine(folder, "exit.txt")).EndsWith('\n')));
            Assert.Equal("exited 0", File.ReadAllText(Path.Combine(folder, "exit.txt")).Trim());
            Assert.Equal(["cluster show", $"show {runId}", "cluster show"], File.ReadAllLines(Path.Combine(folder, ".loom", "ctl_history")));
        }
        finally
        {
            output.WriteLine(await Tmux("capture-pane", "-p", "-t", session));
            await Tmux("kill-session", "-t", session);
        }
    }

    [Fact]
    public async Task A_node_with_a_secret_answers_ctl_only_with_that_secret_and_logs_each_refusal()
    {
        var secretFile = Path.Combine(folder, "cluster-secret");
        File.WriteAllText(secretFile, "the right secret of this cluster\n");
        var wrongFile = Path.Combine(folder, "wrong-secret");
        File.WriteAllText(wrongFile, "not the secret of this cluster\n");
        var node = Track(ServeProcess.Start(folder, "serve", "--port", ports[0].ToString(), "--workspace", "node-0", "--cluster-secret-file", secretFile));
        await node.WaitForLineAsync(l => l.Contains("node up", StringComparison.Ordinal));

        var missing = await CtlProcessAsync(0, "cluster", "show");
        Assert.Equal(1, missing.Exit);
        Assert.Equal("", missing.Stdout);
        Assert.Contains("loom ctl: error: this cluster needs its secret", missing.Stderr);
        await node.WaitForLineAsync(l => l.Contains("WRN Refused GetMembers from akka.tcp://loom-submit@127.0.0.1:", StringComparison.Ordinal)
            && l.EndsWith("it carried no cluster secret", StringComparison.Ordinal));

        var wrong = await CtlProcessAsync(0, "--cluster-secret-file", wrongFile, "runs");
        Assert.Equal(1, wrong.Exit);
        Assert.Equal("", wrong.Stdout);
        Assert.Contains("loom ctl: error: the cluster secret does not match", wrong.Stderr);
        await node.WaitForLineAsync(l => l.Contains("WRN Refused ListRuns from ", StringComparison.Ordinal) && l.EndsWith("a wrong cluster secret", StringComparison.Ordinal));
        Assert.DoesNotContain(node.Lines, l => l.Contains("not the secret", StringComparison.Ordinal));

        // The right secret, from the variable a script would set.
        using var right = ServeProcess.Start(folder, new Dictionary<string, string> { ["LOOM_CLUSTER_SECRET_FILE"] = secretFile }, "ctl", Contact(0), "cluster", "show");
        Assert.Equal(0, await right.WaitForExitAsync());
        Assert.Contains("1 member;", right.Stdout);
    }

    private async Task StartClusterAsync(string[] labels)
    {
        database = await TestPostgres.CreateDatabaseAsync();
        var count = labels.Length;
        string[] Args(int i) =>
        [
            "serve", "--port", ports[i].ToString(), "--workspace", $"node-{i}", "--db", database.ConnectionString, "--capacity", "2", "--labels", labels[i],
            .. ports.Take(count).SelectMany(p => new[] { "--seed", $"127.0.0.1:{p}" }),
        ];
        var first = Track(ServeProcess.Start(folder, Args(0)));
        await first.WaitForLineAsync(l => l.Contains($"node up akka.tcp://loom@127.0.0.1:{ports[0]}", StringComparison.Ordinal));
        for (var i = 1; i < count; i++)
            Track(ServeProcess.Start(folder, Args(i)));
        for (var i = 1; i < count; i++)
        {
            var port = ports[i];
            await first.WaitForLineAsync(l => l.Contains($"member up akka.tcp://loom@127.0.0.1:{port} ", StringComparison.Ordinal));
        }
    }

    private ServeProcess Track(ServeProcess process)
    {
        processes.Add(process);
        return process;
    }

    /// <summary>A one-shot <c>loom ctl</c> that must succeed: its stdout.</summary>
    private async Task<string> CtlAsync(int node, params string[] command)
    {
        var (exit, stdout, stderr) = await CtlProcessAsync(node, command);
        Assert.True(exit == 0, $"loom ctl {string.Join(' ', command)} exited {exit}: {stderr}\n{stdout}");
        return stdout;
    }

    private async Task<(int Exit, string Stdout, string Stderr)> CtlProcessAsync(int node, params string[] command)
    {
        using var ctl = ServeProcess.Start(folder, new Dictionary<string, string> { ["LOOM_CLUSTER_SECRET_FILE"] = "" }, ["ctl", Contact(node), .. command]);
        var exit = await ctl.WaitForExitAsync();
        return (exit, ctl.Stdout, ctl.Stderr);
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("the condition did not hold in time");
            await Task.Delay(200);
        }
    }

    private static async Task ScreenAsync(string session, Func<string, bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        string screen;
        while (!condition(screen = await Tmux("capture-pane", "-p", "-t", session, "-S", "-100")))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"not on the screen in time:\n{screen}");
            await Task.Delay(100);
        }
    }

    private static async Task<string> Tmux(params string[] args)
    {
        var start = new ProcessStartInfo("tmux") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var text = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return text;
    }
}
