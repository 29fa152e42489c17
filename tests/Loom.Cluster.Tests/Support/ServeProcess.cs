using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Loom.Cluster.Tests.Support;

/// <summary>A real <c>loom serve</c> (the built loom.dll beside the tests) whose stderr lines the test can wait for.</summary>
public sealed class ServeProcess : IDisposable
{
    /// <summary>Generous: CI is a busy 2-core machine running three nodes at once.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private readonly Process process;
    private readonly List<string> lines = [];
    private readonly StringBuilder stdout = new();
    private TaskCompletionSource changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServeProcess(string workingDirectory, IEnumerable<string> args, IDictionary<string, string>? env)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "loom.dll"));
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        // The settings under test only: nothing of the test runner's environment in Loom's form.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("Loom__", StringComparison.OrdinalIgnoreCase) || k.StartsWith("akka__", StringComparison.OrdinalIgnoreCase)).ToList())
            start.Environment.Remove(key);
        foreach (var (key, value) in env ?? new Dictionary<string, string>())
            start.Environment[key] = value;
        process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.Append(e.Data).Append('\n'); };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            TaskCompletionSource signal;
            lock (lines)
            {
                lines.Add(e.Data);
                signal = changed;
                changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            signal.TrySetResult();
        };
        process.Start();
        Pid = process.Id;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Pid { get; }

    public string Stdout { get { lock (stdout) return stdout.ToString(); } }

    public IReadOnlyList<string> Lines { get { lock (lines) return lines.ToList(); } }

    public string Stderr => string.Join('\n', Lines);

    public static ServeProcess Start(string workingDirectory, params string[] args) => new(workingDirectory, args, null);

    public static ServeProcess Start(string workingDirectory, IDictionary<string, string> env, params string[] args) => new(workingDirectory, args, env);

    /// <summary>The first stderr line (from <paramref name="from"/> on) that matches; fails after <see cref="Patience"/>.</summary>
    public async Task<(string Line, int Index)> WaitForLineAsync(Func<string, bool> match, int from = 0, TimeSpan? patience = null)
    {
        var deadline = DateTime.UtcNow + (patience ?? Patience);
        while (true)
        {
            Task next;
            lock (lines)
            {
                for (var i = from; i < lines.Count; i++)
                {
                    if (match(lines[i]))
                        return (lines[i], i);
                }
                next = changed.Task;
            }
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || process.HasExited && !await Completes(next, TimeSpan.FromMilliseconds(200)))
                throw new TimeoutException($"no such line from loom serve (pid {Pid}, {(process.HasExited ? "exited " + process.ExitCode : "running")}); stderr:\n{Stderr}");
            await Completes(next, left);
        }
    }

    public async Task<int> WaitForExitAsync(TimeSpan? patience = null)
    {
        using var timeout = new CancellationTokenSource(patience ?? Patience);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"loom serve (pid {Pid}) did not exit; stderr:\n{Stderr}");
        }
        process.WaitForExit();
        return process.ExitCode;
    }

    public void Signal(string name)
    {
        using var kill = Process.Start("kill", ["-" + name, Pid.ToString()]);
        kill.WaitForExit();
    }

    /// <summary>kill -9 if it still runs (the lines read so far stay readable).</summary>
    public void Dispose()
    {
        if (disposed)
            return;
        disposed = true;
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        process.Dispose();
    }

    private bool disposed;

    /// <summary>
    /// A loopback port free now and never handed out before in this test run: the kernel may give a closed port to the
    /// next bind at once, and two nodes told the same port both listened on it (Akka's transport reuses the address)
    /// and formed two clusters.
    /// </summary>
    public static int FreePort()
    {
        while (true)
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            lock (HandedOut)
            {
                if (HandedOut.Add(port))
                    return port;
            }
        }
    }

    private static readonly HashSet<int> HandedOut = [];

    private static async Task<bool> Completes(Task task, TimeSpan within) => await Task.WhenAny(task, Task.Delay(within)) == task;
}
