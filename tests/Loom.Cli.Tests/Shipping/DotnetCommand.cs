using System.Diagnostics;
using System.Text;

namespace Loom.Cli.Tests.Shipping;

/// <summary>A child process (the <c>dotnet</c> CLI, a built sample, an installed tool) with its output kept and a bounded wait.</summary>
public sealed class DotnetCommand : IDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();

    private DotnetCommand(string fileName, string workingDirectory, IEnumerable<string> args, IDictionary<string, string>? env)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        // 'dotnet test' hands its MSBuild settings to what it runs; a build of other projects must find its own.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
            start.Environment.Remove(key);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in env ?? new Dictionary<string, string>())
            start.Environment[key] = value;
        process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.Append(e.Data).Append('\n'); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.Append(e.Data).Append('\n'); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>stdout and stderr as they came.</summary>
    public string Output { get { lock (output) return output.ToString(); } }

    public static DotnetCommand Start(string fileName, string workingDirectory, IEnumerable<string> args, IDictionary<string, string>? env = null) =>
        new(fileName, workingDirectory, args, env);

    /// <summary>Runs to the end within <paramref name="patience"/>; fails the test with the output when it exits non-zero.</summary>
    public static async Task<string> RunAsync(string fileName, string workingDirectory, IEnumerable<string> args, TimeSpan patience, IDictionary<string, string>? env = null)
    {
        using var command = Start(fileName, workingDirectory, args, env);
        var exit = await command.WaitAsync(patience);
        Assert.True(exit == 0, $"{fileName} {string.Join(' ', args)} exited {exit}:\n{command.Output}");
        return command.Output;
    }

    public async Task<int> WaitAsync(TimeSpan patience)
    {
        using var timeout = new CancellationTokenSource(patience);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{process.StartInfo.FileName} {string.Join(' ', process.StartInfo.ArgumentList)} did not exit within {patience}:\n{Output}");
        }
        process.WaitForExit();
        return process.ExitCode;
    }

    /// <summary>Waits until the output matches <paramref name="predicate"/>; fails when the process exits or time runs out first.</summary>
    public async Task<string> WaitForOutputAsync(Func<string, bool> predicate, TimeSpan patience)
    {
        var deadline = DateTime.UtcNow + patience;
        while (!predicate(Output))
        {
            if (process.HasExited)
                throw new InvalidOperationException($"{process.StartInfo.FileName} exited {process.ExitCode} first:\n{Output}");
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"not seen within {patience}:\n{Output}");
            await Task.Delay(50);
        }
        return Output;
    }

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Loom.Actors.sln")))
                return dir.FullName;
        throw new InvalidOperationException("Loom.Actors.sln not found above the test's folder");
    }

    /// <summary>
    /// Tests that run MSBuild over the src projects (a sample's build, a pack) run one at a time: two builds of one project
    /// at once may trip over each other's files.
    /// </summary>
    public const string BuildCollection = "dotnet builds";

    /// <summary>The configuration the tests were built in, so that building a sample finds the src projects built already.</summary>
    public const string Configuration =
#if DEBUG
        "Debug";
#else
        "Release";
#endif

    public void Dispose()
    {
        if (!process.HasExited)
            process.Kill(entireProcessTree: true);
        process.Dispose();
    }
}
