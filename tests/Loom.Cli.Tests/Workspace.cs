using System.Text.RegularExpressions;
using Loom.Cli.Tests.Conformance;

namespace Loom.Cli.Tests;

/// <summary>
/// A temporary folder holding one workflow; removed after the test. With a <see cref="Cluster"/> (the conformance
/// tests' cluster mode) its runs are submitted with <c>loom run --cluster</c>, and what their jobs wrote is read from
/// the runs' folders on the nodes rather than from this folder.
/// </summary>
public sealed partial class Workspace : IDisposable
{
    public Workspace(string yaml, string fileName = ".loom.yml")
    {
        Root = Directory.CreateTempSubdirectory("loom-cli-").FullName;
        File.WriteAllText(Path.Combine(Root, fileName), yaml);
    }

    public string Root { get; }

    public string PathOf(string name) => Path.Combine(Root, name);

    /// <summary>The cluster this workspace's runs go to; null: they run here, as a plain <c>loom run</c>.</summary>
    public ConformanceCluster? Cluster { get; init; }

    /// <summary>The runs submitted from this workspace to <see cref="Cluster"/>, oldest first.</summary>
    public List<string> ClusterRuns { get; } = [];

    /// <summary>A file a run's job wrote (or the workspace held): here, or on the cluster's nodes in cluster mode.</summary>
    public string Read(string name) => File.ReadAllText(OutputPath(name) ?? PathOf(name));

    public string[] ReadLines(string name) => File.ReadAllLines(OutputPath(name) ?? PathOf(name));

    public bool Exists(string name) => Cluster is null ? File.Exists(PathOf(name)) : OutputPath(name) is not null;

    /// <summary>The names of the files matching <paramref name="pattern"/> at the top of the workspace (of every run's folder on every node in cluster mode).</summary>
    public IReadOnlyList<string> Files(string pattern = "*") =>
        OutputRoots().Where(Directory.Exists).SelectMany(root => Directory.GetFiles(root, pattern)).Select(f => Path.GetFileName(f)!)
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

    /// <summary>The folder the run that wrote <paramref name="name"/> ran in: <see cref="Root"/>, or that run's folder on its node.</summary>
    public string RootOf(string name)
    {
        if (Cluster is null)
            return Root;
        var path = OutputPath(name) ?? throw new FileNotFoundException($"no run of {Root} on the cluster wrote {name}");
        return path[..^(name.Length + 1)];
    }

    /// <summary>Where loom keeps its own records of this workspace's runs: <c>.loom/</c>, and in cluster mode each run's folder on each node and the nodes' logs.</summary>
    public IEnumerable<string> StoredFolders()
    {
        if (Cluster is null)
            return [PathOf(".loom")];
        List<string> runs;
        lock (ClusterRuns)
            runs = ClusterRuns.ToList();
        return runs.SelectMany(run => Cluster.RunFolders(run).Select(work => Path.GetDirectoryName(work)!))
            .Concat(Cluster.NodeWorkspaces.Select(node => Path.Combine(node, "logs")));
    }

    /// <summary>The arguments of a <c>loom</c> command, with <c>--cluster</c> after <c>run</c> in cluster mode.</summary>
    public string[] LoomArgs(params string[] args) =>
        Cluster is null || args.Length == 0 || args[0] != "run" ? args : ["run", "--cluster", Cluster.Contacts, .. args[1..]];

    /// <summary>Runs the real <c>loom</c> here (against the cluster in cluster mode) and waits for it.</summary>
    public async Task<(int Exit, string Stdout, string Stderr)> LoomAsync(params string[] args)
    {
        var (exit, stdout, stderr) = await LoomProcess.RunAsync(Root, LoomArgs(args));
        Noticed(stdout);
        return (exit, stdout, stderr);
    }

    /// <summary>Starts the real <c>loom</c> here (against the cluster in cluster mode).</summary>
    public LoomProcess StartLoom(params string[] args) => LoomProcess.Start(Root, LoomArgs(args));

    /// <summary>Remembers the run a cluster <c>loom run</c> printed (as JSON or plain), to find its jobs' files on the nodes.</summary>
    public void Noticed(string stdout)
    {
        if (Cluster is null)
            return;
        foreach (Match match in RunLine().Matches(stdout))
        {
            var runId = match.Groups[1].Success ? match.Groups[1].Value : match.Groups[2].Value;
            lock (ClusterRuns)
                if (!ClusterRuns.Contains(runId))
                    ClusterRuns.Add(runId);
        }
    }

    [GeneratedRegex("""^(?:\{"event":"runStarted","runId":"([^"]+)"|run ([0-9]{8}-[0-9]{6}-[0-9a-f]{4}): )""", RegexOptions.Multiline)]
    private static partial Regex RunLine();

    /// <summary>Where runs wrote: this folder, or the newest run's folder on each node first.</summary>
    private IEnumerable<string> OutputRoots()
    {
        if (Cluster is null)
            return [Root];
        List<string> runs;
        lock (ClusterRuns)
            runs = ClusterRuns.AsEnumerable().Reverse().ToList();
        return runs.SelectMany(Cluster.RunFolders);
    }

    /// <summary>
    /// The file as the runs left it; in cluster mode from the newest run that has it. A file a run left different on two
    /// nodes has no one answer (jobs on different nodes do not share files): that fails the test.
    /// </summary>
    private string? OutputPath(string name)
    {
        if (Cluster is null)
            return PathOf(name);
        List<string> runs;
        lock (ClusterRuns)
            runs = ClusterRuns.AsEnumerable().Reverse().ToList();
        foreach (var run in runs)
        {
            var found = Cluster.RunFolders(run).Select(root => Path.Combine(root, name)).Where(File.Exists).ToList();
            if (found.Count == 0)
                continue;
            var contents = found.Select(path => (Path: path, Text: File.ReadAllText(path))).ToList();
            if (contents.Select(c => c.Text).Distinct(StringComparer.Ordinal).Count() > 1)
                throw new InvalidOperationException($"run {run} left {name} different on different nodes: "
                    + string.Join(", ", contents.Select(c => $"{c.Path}: '{c.Text}'")));
            return found[0];
        }
        return null;
    }

    /// <summary>Waits for a job to write <paramref name="name"/> (not empty); in cluster mode <paramref name="loom"/> is the <c>loom run</c> that submitted the job.</summary>
    public async Task WaitForFileAsync(string name, LoomProcess? loom = null)
    {
        var deadline = DateTime.UtcNow + LoomProcess.Patience;
        while (true)
        {
            if (loom is not null)
                Noticed(loom.Stdout);
            if (OutputPath(name) is { } path && File.Exists(path) && new FileInfo(path).Length > 0)
                return;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{name} never appeared in {Root}");
            await Task.Delay(20);
        }
    }

    public static bool ProcessAlive(int pid)
    {
        var stat = $"/proc/{pid}/stat";
        try
        {
            var text = File.ReadAllText(stat);
            return text[(text.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    public static async Task WaitUntilGoneAsync(int pid)
    {
        var deadline = DateTime.UtcNow + LoomProcess.Patience;
        while (ProcessAlive(pid))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"process {pid} is still alive");
            await Task.Delay(20);
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
