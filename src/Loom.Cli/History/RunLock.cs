namespace Loom.Cli.History;

/// <summary>
/// Held by the <c>loom</c> process that runs a run, for as long as it runs it: <c>.loom/runs/&lt;id&gt;/lock</c>
/// (see <see cref="LockFiles"/>; the holder's pid is in <c>owner</c> beside it). A run without its last event and
/// without a held lock was interrupted; with a held lock it is still going on, and no second process may write it.
/// </summary>
public sealed class RunLock : IDisposable
{
    private readonly FileStream file;

    private RunLock(FileStream file) => this.file = file;

    public static string FolderOf(string workspace, string runId) => Path.Combine(EmbeddedLoom.RunsFolder(workspace), runId);

    /// <summary>Takes the run's lock; null when another process holds it (<paramref name="holder"/> names it).</summary>
    public static RunLock? TryAcquire(string workspace, string runId, out string holder)
    {
        holder = "";
        var folder = FolderOf(workspace, runId);
        Directory.CreateDirectory(folder);
        if (LockFiles.TryTake(Path.Combine(folder, "lock")) is not { } file)
        {
            holder = LockFiles.ReadPid(Path.Combine(folder, "owner")) is { } pid ? $"pid {pid}" : "another loom process";
            return null;
        }
        File.WriteAllText(Path.Combine(folder, "owner"), Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return new RunLock(file);
    }

    /// <summary>Whether a live process runs <paramref name="runId"/> now.</summary>
    public static bool IsHeld(string workspace, string runId) => LockFiles.IsHeld(Path.Combine(FolderOf(workspace, runId), "lock"));

    /// <summary>The pid of the process that holds the run's lock, checked to have the lock open; null when none does.</summary>
    public static int? Holder(string workspace, string runId)
    {
        var folder = FolderOf(workspace, runId);
        var path = Path.Combine(folder, "lock");
        return LockFiles.IsHeld(path) && LockFiles.ReadPid(Path.Combine(folder, "owner")) is { } pid && LockFiles.IsOpenIn(pid, path) ? pid : null;
    }

    public void Dispose() => file.Dispose();
}
