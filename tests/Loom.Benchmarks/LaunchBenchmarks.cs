using System.Collections;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using Loom.Actors.Execution;

namespace Loom.Benchmarks;

/// <summary>
/// The step launcher alone, as the peer benchmark drives it: <c>true</c> steps, two at a time
/// (P=2), each started when one ends. The mean is the wall time per step, no actors involved.
/// The baseline is the floor in this process: plain <c>posix_spawn</c> + <c>waitpid</c> of /usr/bin/true
/// with the same environment (its size matters: exec copies every string).
/// </summary>
public partial class LaunchBenchmarks
{
    private const int Steps = 200;

    private StepLaunch launch = null!;
    private nint[] trueArgv = [];
    private nint[] trueEnvp = [];

    /// <summary><c>true</c> runs on the fast path (no shell); <c>true;</c> goes through bash and a script file.</summary>
    [Params("true", "true;")]
    public string Command { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        // Loom's own environment plus the variables a runner adds, as a step gets them.
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
            env[(string)entry.Key] = (string?)entry.Value ?? "";
        foreach (var name in new[] { "LOOM_OUTPUT", "LOOM_ENV", "LOOM_PATH", "LOOM_STEP_SUMMARY", "LOOM_RUN_ID", "LOOM_JOB" })
            env[name] = $"/tmp/loom-bench/{name.ToLowerInvariant()}";
        launch = new StepLaunch(Command, null, Path.GetTempPath(), env, null);
        trueArgv = [Marshal.StringToCoTaskMemUTF8("/usr/bin/true"), 0];
        trueEnvp = [.. env.Select(pair => Marshal.StringToCoTaskMemUTF8($"{pair.Key}={pair.Value}")), 0];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var native in trueArgv.Concat(trueEnvp))
            Marshal.FreeCoTaskMem(native);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Steps)]
    public Task SpawnFloor() => Task.WhenAll(Task.Run(() => SpawnChain(Steps / 2)), Task.Run(() => SpawnChain(Steps / 2)));

    [Benchmark(OperationsPerInvoke = Steps)]
    public Task TwoAtATime() => Task.WhenAll(Chain(Steps / 2), Chain(Steps / 2));

    private async Task Chain(int steps)
    {
        for (var i = 0; i < steps; i++)
        {
            var exit = await StepProcess.Start(launch, static _ => { }).Completion.ConfigureAwait(false);
            if (exit.ExitCode != 0)
                throw new InvalidOperationException($"step failed: {exit}");
        }
    }

    private void SpawnChain(int steps)
    {
        for (var i = 0; i < steps; i++)
        {
            if (posix_spawn(out var pid, trueArgv[0], 0, 0, trueArgv, trueEnvp) != 0 || waitpid(pid, out _, 0) != pid)
                throw new InvalidOperationException("posix_spawn of /usr/bin/true failed");
        }
    }

    [LibraryImport("libc")]
    private static partial int posix_spawn(out int pid, nint path, nint fileActions, nint attributes, nint[] argv, nint[] envp);

    [LibraryImport("libc")]
    private static partial int waitpid(int pid, out int status, int options);
}
