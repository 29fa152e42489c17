using System.Text.Json;

namespace Loom.Cli.Tests.Conformance;

/// <summary>One finished <c>loom run --json</c>: its exit code, raw streams and parsed NDJSON events.</summary>
public sealed class LoomRun
{
    private LoomRun(int exit, string stdout, string stderr)
    {
        Exit = exit;
        Stdout = stdout;
        Stderr = stderr;
        Events = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => line.StartsWith('{'))
            .Select(line => JsonDocument.Parse(line).RootElement.Clone())
            .ToList();
    }

    public int Exit { get; }

    public string Stdout { get; }

    public string Stderr { get; }

    public IReadOnlyList<JsonElement> Events { get; }

    /// <summary>Everything loom printed, for assertion messages.</summary>
    public string Transcript => $"exit {Exit}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";

    public static async Task<LoomRun> JsonAsync(Workspace ws, params string[] args) =>
        await JsonAsync(ws, new Dictionary<string, string>(), args);

    public static async Task<LoomRun> JsonAsync(Workspace ws, IDictionary<string, string> env, params string[] args)
    {
        using var loom = LoomProcess.Start(ws.Root, env, ws.LoomArgs(["run", "--json", .. args]));
        var exit = await loom.WaitAsync();
        ws.Noticed(loom.Stdout);
        return new LoomRun(exit, loom.Stdout, loom.Stderr);
    }

    public static async Task<LoomRun> PlainAsync(Workspace ws, IDictionary<string, string> env, params string[] args)
    {
        using var loom = LoomProcess.Start(ws.Root, env, ws.LoomArgs(["run", "--plain", .. args]));
        var exit = await loom.WaitAsync();
        ws.Noticed(loom.Stdout);
        return new LoomRun(exit, loom.Stdout, loom.Stderr);
    }

    public static LoomRun FromFinished(int exit, string stdout, string stderr) => new(exit, stdout, stderr);

    public IEnumerable<JsonElement> Of(string kind) =>
        Events.Where(e => e.GetProperty("event").GetString() == kind);

    public IEnumerable<JsonElement> Of(string kind, string jobId) =>
        Of(kind).Where(e => e.GetProperty("jobId").GetString() == jobId);

    /// <summary>The job's last <c>jobFinished</c> event (after any retries).</summary>
    public JsonElement Finished(string jobId)
    {
        var finished = Of("jobFinished", jobId).ToList();
        Assert.True(finished.Count > 0, $"no jobFinished for '{jobId}'\n{Transcript}");
        return finished[^1];
    }

    public string Result(string jobId) => Finished(jobId).GetProperty("result").GetString()!;

    /// <summary>The job's result whether it finished or was skipped.</summary>
    public string ResultOrSkipped(string jobId)
    {
        var skipped = Of("jobSkipped", jobId).ToList();
        return skipped.Count > 0 ? skipped[^1].GetProperty("result").GetString()! : Result(jobId);
    }

    public string RunResult => Of("runFinished").Single().GetProperty("result").GetString()!;

    public string RunId => Of("runStarted").Single().GetProperty("runId").GetString()!;

    public IReadOnlyList<string> Lines(string jobId) =>
        Of("outputLine", jobId).Select(e => e.GetProperty("line").GetString()!).ToList();

    public IReadOnlyList<string> AllLines =>
        Of("outputLine").Select(e => e.GetProperty("line").GetString()!).ToList();

    public JsonElement Step(string jobId, int index) =>
        Of("stepFinished", jobId).Last(e => e.GetProperty("step").GetInt32() == index);

    public IReadOnlyList<int> Attempts(string jobId) =>
        Of("jobStarted", jobId).Select(e => e.GetProperty("attempt").GetInt32()).ToList();
}
