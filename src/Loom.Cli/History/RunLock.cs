namespace Loom.Cli.History;

/// <summary>
/// Held by the <c>loom</c> process that runs a run, for as long as it runs it: <c>.loom/runs/&lt;id&gt;/lock</c>,
/// opened without sharing (an advisory <c>flock</c> on Linux; the holder's pid is in <c>owner</c> beside it, since
/// .NET cannot read a file another process holds so). The kernel lets
/// go of it when the process dies, even by <c>kill -9</c>: a run without its last event and without a held
/// lock was interrupted; with a held lock it is still going on, and no second process may write it.
/// </summary>
public sealed class RunLock : IDisposable
{
    private readonly FileStream file;

    private RunLock(FileStream file) => this.file = file;

    public static string FolderOf(string workspace, string runId) => Path.Combine(workspace, ".loom", "runs", runId);

    /// <summary>Takes the run's lock; null when another process holds it (<paramref name="holder"/> names it).</summary>
    public static RunLock? TryAcquire(string workspace, string runId, out string holder)
    {
        holder = "";
        var folder = FolderOf(workspace, runId);
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "lock");
        try
        {
            var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
            File.WriteAllText(Path.Combine(folder, "owner"), Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return new RunLock(file);
        }
        catch (IOException)
        {
            holder = ReadHolder(folder);
            return null;
        }
    }

    /// <summary>Whether a live process runs <paramref name="runId"/> now.</summary>
    public static bool IsHeld(string workspace, string runId)
    {
        var path = Path.Combine(FolderOf(workspace, runId), "lock");
        if (!File.Exists(path))
            return false;
        try
        {
            using var probe = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None);
            return false;
        }
        catch (FileNotFoundException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    private static string ReadHolder(string folder)
    {
        try
        {
            return "pid " + File.ReadAllText(Path.Combine(folder, "owner")).Trim();
        }
        catch (IOException)
        {
            return "another loom process";
        }
    }

    public void Dispose() => file.Dispose();
}
