using System.Collections.Concurrent;
using Loom.Actors.Execution;

namespace Loom.Actors.Tests.Execution;

/// <summary>Runs steps the way the runner actor does and looks at what they left in /proc.</summary>
internal static class Steps
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>PATH and HOME of the test process: enough for every tool the tests use.</summary>
    public static Dictionary<string, string> Environment(params (string Key, string Value)[] extra)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = System.Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin",
            ["HOME"] = System.Environment.GetEnvironmentVariable("HOME") ?? "/",
        };
        foreach (var (key, value) in extra)
            env[key] = value;
        return env;
    }

    public static StepLaunch Launch(string run, string? shell = null, string? directory = null, IReadOnlyDictionary<string, string>? env = null,
        TimeSpan? timeout = null) =>
        new(run, shell, directory ?? Path.GetTempPath(), env ?? Environment(), timeout);

    public static async Task<Result> RunAsync(StepLaunch launch, bool fastPath = true)
    {
        var lines = new ConcurrentQueue<string>();
        var step = StepProcess.Start(launch, lines.Enqueue, fastPath);
        var exit = await step.Completion.WaitAsync(Patience);
        return new Result(exit, [.. lines], step.Identity);
    }

    public static Task<Result> RunAsync(string run, string? shell = null, string? directory = null, IReadOnlyDictionary<string, string>? env = null,
        TimeSpan? timeout = null, bool fastPath = true) =>
        RunAsync(Launch(run, shell, directory, env, timeout), fastPath);

    /// <summary>Live (not zombie) processes whose process group is <paramref name="pgid"/>.</summary>
    public static List<int> GroupMembers(int pgid) => LiveProcesses(stat => stat.ProcessGroup == pgid);

    public static List<int> SessionMembers(int sid) => LiveProcesses(stat => stat.Session == sid);

    public static bool IsAlive(int pid) => ProcessTree.TryReadStat(pid, out var stat) && stat.State != 'Z';

    public static async Task EventuallyAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"timed out waiting for {what}");
            await Task.Delay(10);
        }
    }


    private static List<int> LiveProcesses(Func<ProcessTree.ProcStat, bool> match)
    {
        var pids = new List<int>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(entry), out var pid) && ProcessTree.TryReadStat(pid, out var stat) && stat.State != 'Z' && match(stat))
                pids.Add(pid);
        }
        return pids;
    }

    public sealed record Result(StepExit Exit, List<string> Lines, ProcessIdentity? Identity);

    /// <summary>A fresh directory under the temp folder (symlinks resolved), deleted on dispose.</summary>
    public sealed class TempDirectory : IDisposable
    {
        public string Path { get; } = FileSystemPaths.RealPath(Directory.CreateTempSubdirectory("loom-step-test-").FullName);

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
