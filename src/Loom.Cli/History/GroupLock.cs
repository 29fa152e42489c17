using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Loom.Actors.Execution;
using Loom.Actors.Protocol;

namespace Loom.Cli.History;

/// <summary>
/// A workflow <c>concurrency</c> group across the <c>loom</c> processes of a workspace: <c>.loom/groups/&lt;sha256 of
/// the group&gt;.lock</c> (see <see cref="LockFiles"/>), held for the whole run, with <c>&lt;sha256&gt;.owner</c> beside it
/// holding the holder's pid and run id. A run of the group waits for the holder, or with <c>cancel-in-progress</c>
/// sends it SIGTERM (as <c>loom cancel</c> does) and then waits.
/// </summary>
public sealed class GroupLock : IDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private readonly FileStream file;

    private GroupLock(FileStream file) => this.file = file;

    /// <summary>Waits until the group is free (the caller's token ends the wait), then holds it.</summary>
    /// <param name="say">Told once per holder why this run waits.</param>
    public static async Task<GroupLock> AcquireAsync(string workspace, string group, string runId, bool cancelInProgress, Action<LoomProtocol.RunWaiting> say,
        CancellationToken cancellationToken)
    {
        var folder = Path.Combine(EmbeddedLoom.JournalFolder(workspace), "groups");
        Directory.CreateDirectory(folder);
        var name = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(group)));
        var path = Path.Combine(folder, name + ".lock");
        var ownerPath = Path.Combine(folder, name + ".owner");
        string? toldOf = null;
        while (true)
        {
            if (LockFiles.TryTake(path) is { } file)
            {
                File.WriteAllText(ownerPath, $"{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)} {runId}");
                return new GroupLock(file);
            }
            // The owner file may still name the previous holder for a moment: only a holder seen with the lock open counts.
            if (LockFiles.ReadOwner(ownerPath) is { } owner && owner != toldOf && LockFiles.ReadPid(ownerPath) is { } pid && LockFiles.IsOpenIn(pid, path))
            {
                toldOf = owner;
                var holderRun = owner.Split(' ', 2) is [_, var id] ? id : $"of pid {pid}";
                say(new LoomProtocol.RunWaiting(runId, group, holderRun, cancelInProgress));
                if (cancelInProgress)
                    ProcessTree.Terminate(pid);
            }
            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose() => file.Dispose();
}
