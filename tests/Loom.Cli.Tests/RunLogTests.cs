namespace Loom.Cli.Tests;

/// <summary>Step logs in <c>.loom/runs/&lt;id&gt;/logs</c> and <c>loom logs</c>, with real processes.</summary>
public sealed class RunLogTests
{
    private static string[] LogFiles(Workspace ws) =>
        Directory.GetFiles(ws.PathOf(".loom/runs"), "*.log", SearchOption.AllDirectories).Select(Path.GetFileName).Order().ToArray()!;

    private static string RunIdOf(string runsOutput) => runsOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1].Split(' ')[0];

    private static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(Workspace ws, IDictionary<string, string> env, params string[] args)
    {
        using var loom = LoomProcess.Start(ws.Root, env, args);
        var exit = await loom.WaitAsync();
        return (exit, loom.Stdout, loom.Stderr);
    }

    [Fact]
    public async Task Each_job_attempt_that_prints_has_a_masked_log_and_loom_logs_prints_them_in_start_order()
    {
        using var ws = new Workspace("""
            jobs:
              quiet:
                steps:
                  - run: "true"
              talk:
                env: { TOKEN: "${{ secrets.TOKEN }}" }
                steps:
                  - name: Hello
                    run: echo "token $TOKEN"; echo second
                  - run: "true"
                  - name: Bye
                    run: echo bye
              build:
                needs: talk
                strategy: { matrix: { os: [linux, mac] } }
                steps:
                  - run: echo "on ${{ matrix.os }}"
            """);
        var (exit, _, stderr) = await RunAsync(ws, new Dictionary<string, string> { ["LOOM_SECRET_TOKEN"] = "s3cr3t-value" }, "run", "--plain", "-j", "1");
        Assert.True(exit == 0, stderr);

        // No file for the job that printed nothing; matrix cells get file-safe names of their own.
        var files = LogFiles(ws);
        Assert.Equal(3, files.Length);
        Assert.Contains("talk.1.log", files);
        Assert.All(files, f => Assert.Matches(@"^[A-Za-z0-9_.-]+\.1\.log$", f));
        var talk = File.ReadAllText(Directory.GetFiles(ws.PathOf(".loom/runs"), "talk.1.log", SearchOption.AllDirectories).Single());
        Assert.Equal("::step 1 Hello\ntoken ***\nsecond\n::step 3 Bye\nbye\n", talk);

        var (logsExit, logs, logsErr) = await LoomProcess.RunAsync(ws.Root, "logs");
        Assert.True(logsExit == 0, logsErr);
        Assert.Equal("""
            [talk] > Hello
            [talk] token ***
            [talk] second
            [talk] > Bye
            [talk] bye
            [build (linux)] > echo "on linux"
            [build (linux)] on linux
            [build (mac)] > echo "on mac"
            [build (mac)] on mac

            """, logs);
        Assert.DoesNotContain("s3cr3t", logs);

        var (_, runs, _) = await LoomProcess.RunAsync(ws.Root, "runs");
        var (oneExit, one, _) = await LoomProcess.RunAsync(ws.Root, "logs", RunIdOf(runs), "build");
        Assert.Equal(0, oneExit);
        Assert.Equal("[build (linux)] > echo \"on linux\"\n[build (linux)] on linux\n[build (mac)] > echo \"on mac\"\n[build (mac)] on mac\n", one);
        var (cellExit, cell, _) = await LoomProcess.RunAsync(ws.Root, "logs", "latest", "build (mac)");
        Assert.Equal(0, cellExit);
        Assert.Equal("[build (mac)] > echo \"on mac\"\n[build (mac)] on mac\n", cell);

        var (unknownJob, _, unknownJobErr) = await LoomProcess.RunAsync(ws.Root, "logs", "latest", "nope");
        Assert.Equal(2, unknownJob);
        Assert.Contains("no job 'nope'", unknownJobErr);
        var (unknownRun, _, unknownRunErr) = await LoomProcess.RunAsync(ws.Root, "logs", "20000101-000000-0000");
        Assert.Equal(2, unknownRun);
        Assert.Contains("no run '20000101-000000-0000'", unknownRunErr);
    }

    [Fact]
    public async Task A_log_stops_at_its_size_limit_with_a_line_that_counts_what_was_dropped_and_retries_get_their_own_file()
    {
        using var ws = new Workspace("""
            jobs:
              loud:
                retry: { max-attempts: 2 }
                steps:
                  - name: shout
                    run: |
                      for i in $(seq 1 100); do printf 'line %03d of the loud step\n' "$i"; done
                      test -f attempt1 || { touch attempt1; exit 1; }
            """);
        var (exit, _, stderr) = await RunAsync(ws, new Dictionary<string, string> { ["LOOM_MAX_LOG_BYTES"] = "1024" }, "run", "--plain");
        Assert.True(exit == 0, stderr);
        Assert.Equal(["loud.1.log", "loud.2.log"], LogFiles(ws));
        var path = Directory.GetFiles(ws.PathOf(".loom/runs"), "loud.1.log", SearchOption.AllDirectories).Single();
        var lines = File.ReadAllLines(path);
        // Each output line is 26 bytes with its line end; the header ("::step 1 shout") takes the first 15 of 1024.
        var kept = (1024 - 15) / 26;
        Assert.Equal(1 + kept + 1, lines.Length);
        Assert.Equal($"line {kept:000} of the loud step", lines[^2]);
        Assert.Equal($"[loom] output truncated at 1 KiB: {100 - kept} more lines not kept", lines[^1]);
        Assert.True(new FileInfo(path).Length - lines[^1].Length - 1 <= 1024);

        var (_, logs, _) = await LoomProcess.RunAsync(ws.Root, "logs");
        Assert.Contains($"[loud] [loom] output truncated at 1 KiB: {100 - kept} more lines not kept", logs);
        Assert.Contains($"[loud #2] [loom] output truncated at 1 KiB: {100 - kept} more lines not kept", logs);

        var (badLimit, _, badLimitErr) = await RunAsync(ws, new Dictionary<string, string> { ["LOOM_MAX_LOG_BYTES"] = "12" }, "run", "--plain");
        Assert.Equal(2, badLimit);
        Assert.Equal("loom: error: LOOM_MAX_LOG_BYTES must be a whole number of bytes, at least 1024, not '12'\n", badLimitErr);
    }

    [Fact]
    public async Task Logs_follow_prints_new_lines_until_the_run_ends()
    {
        using var ws = new Workspace("""
            jobs:
              waits:
                steps:
                  - name: wait
                    run: |
                      echo first
                      while [ ! -f go-on ]; do sleep 0.05; done
                      echo second
            """);
        using var run = LoomProcess.Start(ws.Root, "run", "--plain");
        var logFolder = ws.PathOf(".loom/runs");
        await WaitUntilAsync(() => Directory.Exists(logFolder) && Directory.GetFiles(logFolder, "waits.1.log", SearchOption.AllDirectories).Length == 1);

        using var follow = LoomProcess.Start(ws.Root, "logs", "--follow");
        await WaitUntilAsync(() => follow.Stdout.Contains("[waits] first"));
        Assert.DoesNotContain("second", follow.Stdout);
        File.WriteAllText(ws.PathOf("go-on"), "");
        Assert.Equal(0, await follow.WaitAsync());
        Assert.Equal(0, await run.WaitAsync());
        Assert.Equal("[waits] > wait\n[waits] first\n[waits] second\n", follow.Stdout);
    }

    internal static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + LoomProcess.Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("the condition never held");
            await Task.Delay(20);
        }
    }
}
