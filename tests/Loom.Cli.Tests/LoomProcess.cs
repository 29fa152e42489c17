using System.Diagnostics;
using System.Text;

namespace Loom.Cli.Tests;

/// <summary>
/// Runs the real <c>loom</c> as a child process: the one <c>LOOM_TEST_BINARY</c> names (tests/run.sh sets it to the
/// README's build, the native loom), else the built loom.dll beside the tests.
/// </summary>
public sealed class LoomProcess : IDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static readonly string? Binary = Environment.GetEnvironmentVariable("LOOM_TEST_BINARY") is { Length: > 0 } binary ? binary : null;

    /// <summary>The command that runs loom, for a shell script: the binary, or <c>dotnet</c> and loom.dll, each quoted.</summary>
    public static string ShellCommand =>
        Binary is { } binary ? $"'{binary}'" : $"dotnet '{Path.Combine(AppContext.BaseDirectory, "loom.dll")}'";
    private readonly Process process;
    private readonly StringBuilder stdout = new();
    private readonly StringBuilder stderr = new();

    private LoomProcess(string workingDirectory, IEnumerable<string> args, IDictionary<string, string>? env)
    {
        var start = new ProcessStartInfo(Binary ?? "dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (Binary is null)
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "loom.dll"));
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        start.Environment.Remove("NO_COLOR");
        foreach (var (key, value) in env ?? new Dictionary<string, string>())
            start.Environment[key] = value;
        process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.Append(e.Data).Append('\n'); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.Append(e.Data).Append('\n'); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Pid => process.Id;

    public bool HasExited => process.HasExited;

    public string Stdout { get { lock (stdout) return stdout.ToString(); } }

    public string Stderr { get { lock (stderr) return stderr.ToString(); } }

    public static LoomProcess Start(string workingDirectory, params string[] args) => new(workingDirectory, args, null);

    public static LoomProcess Start(string workingDirectory, IDictionary<string, string> env, params string[] args) => new(workingDirectory, args, env);

    public static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(string workingDirectory, params string[] args)
    {
        using var loom = Start(workingDirectory, args);
        var exit = await loom.WaitAsync();
        return (exit, loom.Stdout, loom.Stderr);
    }

    public async Task<int> WaitAsync()
    {
        using var timeout = new CancellationTokenSource(Patience);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"loom did not exit within {Patience}; stdout:\n{Stdout}\nstderr:\n{Stderr}");
        }
        process.WaitForExit();
        return process.ExitCode;
    }

    public void Signal(string name)
    {
        using var kill = Process.Start("kill", ["-" + name, Pid.ToString()]);
        kill.WaitForExit();
    }

    public void Dispose()
    {
        if (!process.HasExited)
            process.Kill(entireProcessTree: true);
        process.Dispose();
    }
}
