using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Loom.Actors.Protocol;
using Loom.Actors.Scheduling;
using Loom.Cli.History;
using Loom.Cli.Output;
using Loom.Cluster.Admin;
using Loom.Cluster.Client;
using Loom.Core.Model;
using static Loom.Cluster.Admin.AdminProtocol;

namespace Loom.Cli.Commands.Ctl;

/// <summary>
/// One connection's commands (<c>loom ctl</c> one-shot and the prompt share it): each asks a node's admin actor and prints
/// the answer for people, or as JSON with <c>--json</c>. A refusal or silence is an error (exit 1).
/// </summary>
internal sealed class CtlSession(AdminClient client, bool json)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan CancelPatience = TimeSpan.FromSeconds(60);

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public AdminClient Client => client;

    /// <summary>The run ids the cluster knows, newest first (for completion).</summary>
    public async Task<IReadOnlyList<string>> RunIdsAsync() =>
        await client.AskAsync(new ListRuns(client.Secret)) is RunList list ? list.Runs.Select(r => r.RunId).ToList() : [];

    /// <summary>The job ids of a run (the newest when null), for completion.</summary>
    public async Task<IReadOnlyList<string>> JobIdsAsync(string? runId) =>
        await client.AskAsync(new GetRun(runId, client.Secret)) is RunFound found
            ? RunHistory.Fold(client.EventsOf(found)).Tally.Jobs.Select(j => j.Id).ToList()
            : [];

    public async Task<int> ExecuteAsync(IReadOnlyList<string> words, CancellationToken cancellation)
    {
        try
        {
            return await DispatchAsync(words, cancellation);
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"loom ctl: error: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is TimeoutException or RefusedException)
        {
            Console.Error.WriteLine($"loom ctl: error: {e.Message}");
            return ExitCodes.Failure;
        }
    }

    private Task<int> DispatchAsync(IReadOnlyList<string> words, CancellationToken cancellation)
    {
        var rest = words.Skip(1).ToList();
        return (words[0], rest.FirstOrDefault()) switch
        {
            ("cluster", "show") => ClusterShowAsync(CtlArgs.Parse(rest[1..], "cluster show")),
            ("cluster", "leave" or "down") => SteerAsync(rest[0], CtlArgs.Parse(rest[1..], $"cluster {rest[0]} ADDR")),
            ("cluster", "tail") => TailAsync(CtlArgs.Parse(rest[1..], "cluster tail"), cancellation),
            ("cluster", _) => throw new UsageException("cluster needs show, leave ADDR, down ADDR or tail"),
            ("jobs", _) => JobsAsync(CtlArgs.Parse(rest, "jobs [--node ADDR]", values: ["--node"])),
            ("scheduler", _) => SchedulerAsync(CtlArgs.Parse(rest, "scheduler")),
            ("shards", "locate") => LocateAsync(CtlArgs.Parse(rest[1..], "shards locate RUN JOB")),
            ("shards", _) => ShardsAsync(CtlArgs.Parse(rest, "shards")),
            ("actors", _) => ActorsAsync(CtlArgs.Parse(rest, "actors [--node ADDR] [--depth N]", values: ["--node", "--depth"])),
            ("log", "peek") => PeekAsync(CtlArgs.Parse(rest[1..], "log peek [-n N] [--level L] [--node ADDR]", values: ["-n", "--level", "--node"])),
            ("log", _) => throw new UsageException("log needs peek (log peek [-n N] [--level L] [--node ADDR])"),
            ("runs", _) => RunsAsync(CtlArgs.Parse(rest, "runs")),
            ("show", _) => ShowAsync(CtlArgs.Parse(rest, "show [RUN]")),
            ("why", _) => WhyAsync(CtlArgs.Parse(rest, "why JOB [--run RUN]", values: ["--run"])),
            ("logs", _) => LogsAsync(CtlArgs.Parse(rest, "logs [RUN] [JOB] [--follow]", flags: ["--follow", "-f"]), cancellation),
            ("cancel", _) => CancelAsync(CtlArgs.Parse(rest, "cancel RUN"), cancellation),
            ("retry", _) => RetryAsync(CtlArgs.Parse(rest, "retry RUN [--max-parallel N] [--no-cache]", flags: ["--no-cache"], values: ["--max-parallel", "-j"])),
            ("validate", _) => ValidateAsync(CtlArgs.Parse(rest, "validate FILE [--skip-uses]", flags: ["--skip-uses"])),
            _ => throw new UsageException($"unknown command '{string.Join(' ', words)}' (see 'loom ctl --help', or 'help' at the prompt)"),
        };
    }

    private async Task<T> AskAsync<T>(IAdminRequest request, TimeSpan? timeout = null) where T : class =>
        await client.AskAsync(request, timeout) switch
        {
            T answer => answer,
            Refused refused => throw new RefusedException(refused.Reason),
            Cluster.Protocol.ClusterProtocol.Refused refused => throw new RefusedException($"the cluster refused the request: {refused.Reason}"),
            var other => throw new RefusedException($"unexpected answer {other.GetType().Name}"),
        };

    private void Json(object value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, value.GetType(), JsonOptions));

    private async Task<int> ClusterShowAsync(CtlArgs args)
    {
        args.Positionals(0);
        var members = await AskAsync<Members>(new GetMembers(client.Secret));
        if (json)
        {
            Json(members);
            return ExitCodes.Success;
        }
        Console.Out.WriteLine($"{members.All.Count} member{(members.All.Count == 1 ? "" : "s")}; leader {HostPort(members.Leader)}, run coordinator on {HostPort(members.Coordinator)} (answered by {HostPort(members.AnsweredBy)})");
        Table(["member", "status", "reachable", "labels", "capacity", "running", "version"], members.All.Select(m => new[]
        {
            HostPort(m.Address), m.Status, m.Reachable ? "yes" : "NO", m.Labels.Count == 0 ? "-" : string.Join(',', m.Labels),
            m.Capacity.ToString(CultureInfo.InvariantCulture), m.Running?.ToString(CultureInfo.InvariantCulture) ?? "?", m.Version,
        }));
        return ExitCodes.Success;
    }

    private async Task<int> SteerAsync(string verb, CtlArgs args)
    {
        var address = args.Positionals(1, 1)[0];
        IAdminRequest request = verb == "leave" ? new LeaveMember(address, client.Secret) : new DownMember(address, client.Secret);
        var done = await AskAsync<Done>(request);
        if (json)
            Json(done);
        else
            Console.Out.WriteLine(done.Message);
        return ExitCodes.Success;
    }

    private async Task<int> TailAsync(CtlArgs args, CancellationToken cancellation)
    {
        args.Positionals(0);
        var changes = client.Tail(cancellation);
        try
        {
            await foreach (var change in changes.ReadAllAsync(cancellation))
            {
                if (change is Refused refused)
                    throw new RefusedException(refused.Reason);
                var member = (MemberChanged)change;
                if (json)
                    Json(member);
                else
                    Console.Out.WriteLine($"{member.At.ToLocalTime():HH:mm:ss.fff}  {member.Change,-11}  {HostPort(member.Address)}  {member.Status}");
                await Console.Out.FlushAsync(cancellation);
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
        }
        return ExitCodes.Success;
    }

    private async Task<int> SchedulerAsync(CtlArgs args)
    {
        args.Positionals(0);
        var state = await AskAsync<SchedulerState>(new GetScheduler(client.Secret));
        if (json)
        {
            Json(state);
            return ExitCodes.Success;
        }
        Console.Out.WriteLine($"run coordinator on {HostPort(state.Node)}");
        Console.Out.WriteLine($"runs held: {state.Runs.Count}{(state.Runs.Count == 0 ? "" : " (" + string.Join(", ", state.Runs) + ")")}");
        Console.Out.WriteLine($"jobs running: {state.Running.Count}, waiting for a node: {state.Waiting.Count}");
        foreach (var waiting in state.Waiting)
            Console.Out.WriteLine($"  waiting: {waiting.RunId} {waiting.JobId}{Labels(waiting)}{(waiting.Tries > 0 ? $" (refused {waiting.Tries}x)" : "")}");
        return ExitCodes.Success;
    }

    private async Task<int> JobsAsync(CtlArgs args)
    {
        args.Positionals(0);
        var node = args.Value("--node");
        var state = await AskAsync<SchedulerState>(new GetScheduler(client.Secret));
        var jobs = state.Running.Concat(state.Waiting).Where(j => node is null || j.Node is { } at && SameNode(at, node)).ToList();
        if (json)
        {
            Json(new { running = jobs.Where(j => j.Node is not null), waiting = jobs.Where(j => j.Node is null) });
            return ExitCodes.Success;
        }
        if (jobs.Count == 0)
        {
            Console.Out.WriteLine(node is null ? "no job is running or waiting" : $"no job is running on {node}");
            return ExitCodes.Success;
        }
        Table(["run", "job", "attempt", "node", "state"], jobs.Select(j => new[]
        {
            j.RunId, j.JobId, j.Attempt.ToString(CultureInfo.InvariantCulture), j.Node is null ? "-" : HostPort(j.Node),
            j.Node is null ? "waiting" + Labels(j) : "running",
        }));
        return ExitCodes.Success;
    }

    private async Task<int> ShardsAsync(CtlArgs args)
    {
        args.Positionals(0);
        var shards = await AskAsync<Shards>(new GetShards(client.Secret));
        if (json)
        {
            Json(shards);
            return ExitCodes.Success;
        }
        foreach (var node in shards.Nodes.OrderBy(n => n.Node, StringComparer.Ordinal))
        {
            var entities = node.Shards.Sum(s => s.Entities.Count);
            Console.Out.WriteLine($"{HostPort(node.Node)}: {node.Shards.Count} shard{(node.Shards.Count == 1 ? "" : "s")}, {entities} runner{(entities == 1 ? "" : "s")}");
            foreach (var shard in node.Shards)
            {
                Console.Out.WriteLine($"  shard {shard.ShardId}");
                foreach (var entity in shard.Entities)
                    Console.Out.WriteLine($"    {entity}");
            }
        }
        Unanswered(shards.Unanswered);
        return ExitCodes.Success;
    }

    private async Task<int> LocateAsync(CtlArgs args)
    {
        var (run, job) = args.Positionals(2, 2) is var p ? (p[0], p[1]) : default;
        var shards = await AskAsync<Shards>(new GetShards(client.Secret));
        // Entity ids are RUN/JOB/ATTEMPT[~TRY] (the job id escaped); a matrix job is its cells "JOB (..)".
        var prefix = $"{run}/{Uri.EscapeDataString(job)}";
        var found = shards.Nodes.SelectMany(n => n.Shards.SelectMany(s => s.Entities.Select(e => (Node: n.Node, Shard: s.ShardId, Entity: e))))
            .Where(x => x.Entity.StartsWith(prefix + "/", StringComparison.Ordinal) || x.Entity.StartsWith(prefix + Uri.EscapeDataString(" ("), StringComparison.Ordinal))
            .ToList();
        if (json)
        {
            Json(found.Select(f => new { node = f.Node, shard = f.Shard, entity = f.Entity }).ToList());
            return found.Count == 0 ? ExitCodes.Failure : ExitCodes.Success;
        }
        if (found.Count == 0)
        {
            Console.Error.WriteLine($"loom ctl: error: no runner of job '{job}' of run {run} is alive (it has not started, or it is over)");
            Unanswered(shards.Unanswered);
            return ExitCodes.Failure;
        }
        foreach (var (node, shard, entity) in found)
            Console.Out.WriteLine($"{Uri.UnescapeDataString(entity)} runs on {HostPort(node)} (shard {shard}, entity {entity})");
        return ExitCodes.Success;
    }

    private async Task<int> ActorsAsync(CtlArgs args)
    {
        args.Positionals(0);
        var depth = args.PositiveInt("--depth") ?? 3;
        var actors = await AskAsync<AdminProtocol.Actors>(new GetActors(args.Value("--node"), depth, client.Secret));
        if (json)
        {
            Json(actors);
            return ExitCodes.Success;
        }
        foreach (var node in actors.Nodes.OrderBy(n => n.Node, StringComparer.Ordinal))
        {
            Console.Out.WriteLine(HostPort(node.Node));
            foreach (var path in node.Paths)
            {
                var level = path.Count(c => c == '/');
                Console.Out.WriteLine($"{new string(' ', level * 2)}{(level == 1 ? path : path[(path.LastIndexOf('/') + 1)..])}");
            }
        }
        Unanswered(actors.Unanswered);
        return ExitCodes.Success;
    }

    private async Task<int> PeekAsync(CtlArgs args)
    {
        args.Positionals(0);
        var count = args.PositiveInt("-n") ?? 20;
        var level = args.Value("--level");
        if (level is not null && Cluster.Admin.RecentLogs.ParseLevel(level) is null)
            throw new UsageException($"--level must be one of verbose, debug, info, warning, error, fatal (not '{level}')");
        var logs = await AskAsync<Logs>(new PeekLogs(args.Value("--node"), count, level, client.Secret));
        if (json)
        {
            Json(logs);
            return ExitCodes.Success;
        }
        foreach (var (node, entry) in logs.Nodes.SelectMany(n => n.Entries.Select(e => (n.Node, e))).OrderBy(x => x.e.At))
        {
            Console.Out.WriteLine($"{entry.At.ToLocalTime():HH:mm:ss.fff} {ShortLevel(entry.Level)} {HostPort(node)} {entry.Message}");
            if (entry.Exception is { } exception)
                Console.Out.WriteLine(exception);
        }
        Unanswered(logs.Unanswered);
        return ExitCodes.Success;
    }

    private async Task<int> RunsAsync(CtlArgs args)
    {
        args.Positionals(0);
        var list = await AskAsync<RunList>(new ListRuns(client.Secret));
        if (json)
            Json(list);
        else if (list.Runs.Count == 0)
            Console.Out.WriteLine("no run recorded in this cluster yet");
        else
            HistoryCommands.PrintRuns(list.Runs);
        return ExitCodes.Success;
    }

    private async Task<int> ShowAsync(CtlArgs args)
    {
        var run = args.Positionals(0, 1).FirstOrDefault();
        var found = await AskAsync<RunFound>(new GetRun(run, client.Secret));
        var (tally, defined) = RunHistory.Fold(client.EventsOf(found));
        if (json)
            Json(new { run = found.Summary, running = found.Held, jobs = RunRecord.From(tally).Jobs });
        else
            HistoryCommands.PrintRun(found.Summary, tally, defined);
        return ExitCodes.Success;
    }

    private async Task<int> WhyAsync(CtlArgs args)
    {
        var job = args.Positionals(1, 1)[0];
        var found = await AskAsync<RunFound>(new GetRun(args.Value("--run"), client.Secret));
        var record = RunRecord.From(RunHistory.Fold(client.EventsOf(found)).Tally);
        if (!json)
            return WhyCommand.Explain(record, job);
        Json(record);
        return ExitCodes.Success;
    }

    private async Task<int> LogsAsync(CtlArgs args, CancellationToken cancellation)
    {
        var positional = args.Positionals(0, 2);
        var follow = args.Has("--follow") || args.Has("-f");
        var found = await AskAsync<RunFound>(new GetRun(positional.Count > 0 && positional[0] != "latest" ? positional[0] : null, client.Secret));
        var runId = found.Summary.RunId;
        var job = positional.Count > 1 ? positional[1] : null;
        if (job is not null && !RunHistory.Fold(client.EventsOf(found)).Tally.Jobs.Any(j => Matches(j.Id, job)))
            throw new UsageException($"no job '{job}' in run {runId} (see 'show {runId}')");
        var style = new Style(!json && !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("NO_COLOR") is null);
        long after = 0;
        try
        {
            while (true)
            {
                var batch = await AskAsync<LogLines>(new ReadLogs(runId, after, client.Secret));
                after = batch.LastSeq;
                foreach (var line in batch.Lines.Where(l => job is null || Matches(l.UnitId, job)))
                {
                    if (json)
                    {
                        Json(new { run = runId, job = line.UnitId, attempt = line.Attempt, step = line.Step, line = line.Line });
                        continue;
                    }
                    // As 'loom logs' prints a step log: its header line becomes "> title".
                    var prefix = style.Job(line.UnitId, line.Attempt > 1 ? $"[{line.UnitId} #{line.Attempt}]" : $"[{line.UnitId}]");
                    Console.Out.WriteLine(RunLogFiles.TryReadHeader(line.Line, out _, out var title) ? $"{prefix} {style.Dim("> " + title)}" : $"{prefix} {line.Line}");
                }
                await Console.Out.FlushAsync(cancellation);
                // A full batch may have more behind it; an over run has nothing more once a read comes back empty.
                if (batch.Lines.Count > 0)
                    continue;
                if (!follow || !batch.RunHeld)
                    return ExitCodes.Success;
                await Task.Delay(PollInterval, cancellation);
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            return ExitCodes.Success;
        }
    }

    private async Task<int> CancelAsync(CtlArgs args, CancellationToken cancellation)
    {
        var runId = args.Positionals(1, 1)[0];
        var done = await AskAsync<Done>(new AdminProtocol.CancelRun(runId, client.Secret));
        if (!json)
            Console.Out.WriteLine(done.Message);
        var deadline = DateTime.UtcNow + CancelPatience;
        while ((await AskAsync<SchedulerState>(new GetScheduler(client.Secret))).Runs.Contains(runId))
        {
            if (DateTime.UtcNow > deadline)
                throw new RefusedException($"run {runId} did not stop within {CancelPatience.TotalSeconds:0} s; its always() steps may still be running");
            await Task.Delay(PollInterval, cancellation);
        }
        var summary = (await AskAsync<RunFound>(new GetRun(runId, client.Secret))).Summary;
        if (json)
            Json(summary);
        else
            Console.Out.WriteLine($"run {runId} {summary.Result?.ToWire() ?? "stopped"}");
        return ExitCodes.Success;
    }

    private async Task<int> RetryAsync(CtlArgs args)
    {
        var runId = args.Positionals(1, 1)[0];
        var retried = await AskAsync<Retried>(new RetryRun(runId, args.PositiveInt("--max-parallel") ?? args.PositiveInt("-j"), args.Has("--no-cache"), client.Secret));
        if (json)
            Json(retried);
        else
            Console.Out.WriteLine($"run {retried.NewRunId} retries {runId}: {retried.Jobs.Count} job{(retried.Jobs.Count == 1 ? "" : "s")} run again ({string.Join(", ", retried.Jobs)}); follow it with 'logs {retried.NewRunId} --follow'");
        return ExitCodes.Success;
    }

    private async Task<int> ValidateAsync(CtlArgs args)
    {
        var path = args.Positionals(1, 1)[0];
        string text;
        try
        {
            text = await File.ReadAllTextAsync(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{path}: {e.Message}");
        }
        var validated = await AskAsync<Validated>(new ValidateWorkflow(text, path, args.Has("--skip-uses"), client.Secret));
        if (json)
            Json(validated);
        else if (validated.Errors.Count == 0)
            Console.Out.WriteLine($"{path}: ok ({validated.Jobs} jobs)");
        foreach (var problem in json ? [] : validated.Warnings.Concat(validated.Errors))
            Console.Error.WriteLine(problem);
        return validated.Errors.Count == 0 ? ExitCodes.Success : ExitCodes.Usage;
    }

    /// <summary>A job id names the job, or all cells of a matrix job.</summary>
    private static bool Matches(string unitId, string job) => unitId == job || unitId.StartsWith(job + " (", StringComparison.Ordinal);

    private static string Labels(JobPlacement job) => job.RunsOn.Count == 0 ? "" : $" (runs-on {string.Join(',', job.RunsOn)})";

    private static bool SameNode(string address, string text) => address == text || HostPort(address).Equals(text, StringComparison.OrdinalIgnoreCase);

    /// <summary><c>akka.tcp://loom@10.0.0.5:4053</c> as <c>10.0.0.5:4053</c>: what the operator typed and types back.</summary>
    private static string HostPort(string? address) => address is null ? "-" : address.LastIndexOf('@') is var at and >= 0 ? address[(at + 1)..] : address;

    private static string ShortLevel(string level) => level switch
    {
        "Verbose" => "VRB",
        "Debug" => "DBG",
        "Information" => "INF",
        "Warning" => "WRN",
        "Error" => "ERR",
        "Fatal" => "FTL",
        _ => level,
    };

    private static void Unanswered(IReadOnlyList<string> nodes)
    {
        if (nodes.Count > 0)
            Console.Error.WriteLine($"loom ctl: warning: no answer from {string.Join(", ", nodes.Select(HostPort))}");
    }

    private static void Table(IReadOnlyList<string> header, IEnumerable<string[]> rows)
    {
        var all = rows.ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, all.Count == 0 ? 0 : all.Max(r => r[i].Length))).ToArray();
        Console.Out.WriteLine(string.Join("  ", header.Select((h, i) => h.PadRight(widths[i]))).TrimEnd());
        foreach (var row in all)
            Console.Out.WriteLine(string.Join("  ", row.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
    }
}

/// <summary>The cluster refused the request (a wrong secret, an unknown run) or answered with an error.</summary>
internal sealed class RefusedException(string message) : Exception(message);

/// <summary>A ctl command's words: positionals, flags and options with values.</summary>
internal sealed class CtlArgs
{
    private readonly List<string> positionals = [];
    private readonly Dictionary<string, string> values = new(StringComparer.Ordinal);
    private readonly HashSet<string> flags = new(StringComparer.Ordinal);
    private string usage = "";

    public static CtlArgs Parse(IReadOnlyList<string> words, string usage, IReadOnlyCollection<string>? flags = null, IReadOnlyCollection<string>? values = null)
    {
        var args = new CtlArgs { usage = usage };
        for (var i = 0; i < words.Count; i++)
        {
            var word = words[i];
            if (word.StartsWith('-') && word.Length > 1)
            {
                var equals = word.IndexOf('=');
                var name = equals > 0 ? word[..equals] : word;
                if (flags?.Contains(name) == true && equals < 0)
                    args.flags.Add(name);
                else if (values?.Contains(name) == true)
                    args.values[name] = equals > 0 ? word[(equals + 1)..] : i + 1 < words.Count ? words[++i] : throw new UsageException($"{name} needs a value ({usage})");
                else
                    throw new UsageException($"unknown option '{word}' ({usage})");
            }
            else
                args.positionals.Add(word);
        }
        return args;
    }

    public bool Has(string flag) => flags.Contains(flag);

    public string? Value(string option) => values.GetValueOrDefault(option);

    public int? PositiveInt(string option) =>
        Value(option) is not { } text ? null
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n
        : throw new UsageException($"{option} needs a positive whole number, not '{text}'");

    /// <summary>The positionals, between <paramref name="min"/> and <paramref name="max"/> of them.</summary>
    public IReadOnlyList<string> Positionals(int min, int? max = null)
    {
        if (positionals.Count < min || positionals.Count > (max ?? min))
            throw new UsageException(positionals.Count < min ? $"missing argument ({usage})" : $"unexpected argument '{positionals[(max ?? min)]}' ({usage})");
        return positionals;
    }
}
