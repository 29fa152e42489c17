using System.Globalization;
using Loom.Core.Caching;

namespace Loom.Cli.Commands;

/// <summary><c>loom cache ls</c> and <c>loom cache clear</c>: the workspace's content-hash cache, <c>.loom/cache</c>.</summary>
public static class CacheCommand
{
    private static readonly HashSet<string> Flags = [];
    private static readonly HashSet<string> Values = ["--file"];

    public static int Execute(string[] args)
    {
        if (args.Length == 0 || args[0] is not ("ls" or "clear"))
            throw new UsageException("loom cache needs 'ls' or 'clear' (see 'loom cache --help')");
        var line = CommandLine.Parse(args[1..], Flags, Values);
        if (line.File is { } extra)
            throw new UsageException($"unexpected argument '{extra}' (loom cache {args[0]} [--file FILE])");
        var workspace = RunCommand.Workspace(Path.GetFullPath(line.Value("--file") ?? WorkflowFiles.DefaultName));
        var store = CacheStore.ForWorkspace(workspace);
        if (args[0] == "clear")
        {
            var removed = store.Clear();
            Console.Out.WriteLine($"removed {removed} cache {(removed == 1 ? "entry" : "entries")} from {store.Folder}");
            return ExitCodes.Success;
        }
        var entries = store.List();
        if (entries.Count == 0)
        {
            Console.Out.WriteLine($"the cache in {store.Folder} is empty");
            return ExitCodes.Success;
        }
        var width = Math.Min(40, Math.Max(3, entries.Max(e => e.JobId.Length)));
        Console.Out.WriteLine($"{"job".PadRight(width)}  {"key",-12}  {"files",5}  {"size",9}  {"created",-19}  from run");
        foreach (var entry in entries)
            Console.Out.WriteLine($"{entry.JobId.PadRight(width)}  {entry.Key[..12]}  {entry.Files.Count,5}  {ByteSize.Format(entry.Size),9}  " +
                $"{entry.Created.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}  {entry.RunId}");
        Console.Out.WriteLine($"{entries.Count} {(entries.Count == 1 ? "entry" : "entries")}, {ByteSize.Format(entries.Sum(e => e.Size))} of produced files");
        return ExitCodes.Success;
    }
}
