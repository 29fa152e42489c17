using Loom.Cluster.Admin;

namespace Loom.Cli.Commands.Ctl;

/// <summary>
/// What Tab offers at the prompt: commands and their words, options, members' addresses, run ids and a run's job ids
/// (asked of the cluster, kept for a few seconds), and file names for <c>validate</c>.
/// </summary>
internal sealed class CtlCompleter(CtlSession session)
{
    private static readonly TimeSpan Fresh = TimeSpan.FromSeconds(5);

    private static readonly string[] TopLevel = ["actors", "cancel", "cluster", "exit", "help", "jobs", "log", "logs", "retry", "runs", "scheduler", "shards", "show", "validate", "why"];

    private static readonly Dictionary<string, string[]> SubCommands = new(StringComparer.Ordinal)
    {
        ["cluster"] = ["down", "leave", "show", "tail"],
        ["shards"] = ["locate"],
        ["log"] = ["peek"],
    };

    private static readonly Dictionary<string, string[]> Options = new(StringComparer.Ordinal)
    {
        ["jobs"] = ["--node"],
        ["actors"] = ["--node", "--depth"],
        ["log"] = ["-n", "--level", "--node"],
        ["logs"] = ["--follow"],
        ["why"] = ["--run"],
        ["retry"] = ["--max-parallel", "--no-cache"],
        ["validate"] = ["--skip-uses"],
    };

    private static readonly string[] Levels = ["verbose", "debug", "info", "warning", "error", "fatal"];

    private (DateTime At, IReadOnlyList<string> Ids)? runs;
    private (DateTime At, IReadOnlyList<string> Addresses)? members;
    private readonly Dictionary<string, (DateTime At, IReadOnlyList<string> Ids)> jobs = new(StringComparer.Ordinal);

    /// <summary>Every word that may stand where the last word of <paramref name="line"/> is and begins as it does.</summary>
    public async Task<IReadOnlyList<string>> CompleteAsync(string line)
    {
        var words = CtlShell.Tokenize(line);
        var current = line.Length == 0 || char.IsWhiteSpace(line[^1]) ? "" : words[^1];
        var before = current.Length == 0 ? words : words[..^1];
        var candidates = await CandidatesAsync(before, current);
        return candidates.Where(c => c.StartsWith(current, StringComparison.Ordinal)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
    }

    private async Task<IEnumerable<string>> CandidatesAsync(List<string> before, string current)
    {
        if (before.Count == 0)
            return TopLevel;
        var command = before[0];
        switch (before[^1])
        {
            case "--run":
                return await RunIdsAsync();
            case "--node":
                return await MembersAsync();
            case "--level":
                return Levels;
            case "--depth" or "-n" or "--max-parallel" or "-j":
                return [];
        }
        if (current.StartsWith('-'))
            return (Options.GetValueOrDefault(command) ?? []).Append("--json");
        var positional = before.Skip(1).Where((w, i) => !w.StartsWith('-') && (i == 0 || !IsValueOption(before[i]))).ToList();
        if (SubCommands.TryGetValue(command, out var subs) && positional.Count == 0)
            return subs;
        return (command, positional.Count) switch
        {
            ("cluster", 1) when positional[0] is "leave" or "down" => await MembersAsync(),
            ("shards", 1) when positional[0] == "locate" => await RunIdsAsync(),
            ("shards", 2) when positional[0] == "locate" => await JobIdsAsync(positional[1]),
            ("show" or "cancel" or "retry", 0) => await RunIdsAsync(),
            ("logs", 0) => await RunIdsAsync(),
            ("logs", 1) => await JobIdsAsync(positional[0]),
            ("why", 0) => await JobIdsAsync(RunOption(before)),
            ("validate", 0) => Files(current),
            _ => [],
        };
    }

    private static bool IsValueOption(string word) => word is "--run" or "--node" or "--level" or "--depth" or "-n" or "--max-parallel" or "-j";

    private static string? RunOption(List<string> words)
    {
        var at = words.IndexOf("--run");
        return at >= 0 && at + 1 < words.Count ? words[at + 1] : null;
    }

    private async Task<IReadOnlyList<string>> RunIdsAsync()
    {
        if (runs is not { } cached || DateTime.UtcNow - cached.At > Fresh)
            runs = cached = (DateTime.UtcNow, await session.RunIdsAsync());
        return cached.Ids;
    }

    private async Task<IReadOnlyList<string>> JobIdsAsync(string? runId)
    {
        var key = runId ?? "";
        if (!jobs.TryGetValue(key, out var cached) || DateTime.UtcNow - cached.At > Fresh)
            jobs[key] = cached = (DateTime.UtcNow, await session.JobIdsAsync(runId));
        return cached.Ids;
    }

    private async Task<IReadOnlyList<string>> MembersAsync()
    {
        if (members is not { } cached || DateTime.UtcNow - cached.At > Fresh)
        {
            var answer = await session.Client.AskAsync(new AdminProtocol.GetMembers(session.Client.Secret));
            var addresses = answer is AdminProtocol.Members m ? m.All.Select(x => x.Address[(x.Address.LastIndexOf('@') + 1)..]).ToList() : [];
            members = cached = (DateTime.UtcNow, addresses);
        }
        return cached.Addresses;
    }

    private static IEnumerable<string> Files(string current)
    {
        var folder = Path.GetDirectoryName(current) is { Length: > 0 } d ? d : ".";
        if (!Directory.Exists(folder))
            return [];
        var prefix = current.Length == 0 || Path.GetDirectoryName(current) is not { Length: > 0 } ? "" : folder + "/";
        return Directory.EnumerateFileSystemEntries(folder)
            .Select(p => prefix + Path.GetFileName(p) + (Directory.Exists(p) ? "/" : ""));
    }
}
