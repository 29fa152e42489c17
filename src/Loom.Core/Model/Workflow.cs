using Loom.Core.Diagnostics;

namespace Loom.Core.Model;

/// <summary>A validated workflow: the jobs in file order, every reference checked.</summary>
/// <param name="Env">Values are templates: <c>${{ }}</c> is evaluated when a step starts.</param>
public sealed record Workflow(
    string Name,
    string FilePath,
    IReadOnlyDictionary<string, string> Env,
    RunDefaults Defaults,
    int? MaxParallel,
    IReadOnlyList<Job> Jobs)
{
    public Job this[string jobId] => Jobs.First(j => j.Id == jobId);

    public ConcurrencyGroup? Concurrency { get; init; }
}

/// <summary><c>defaults.run</c>: the shell and working directory used when a step names none (templates).</summary>
public sealed record RunDefaults(string? Shell, string? WorkingDirectory)
{
    public static readonly RunDefaults None = new(null, null);
}

/// <summary>A value written literally, or as <c>${{ }}</c> to evaluate at run time (then <see cref="Value"/> is the default).</summary>
public readonly record struct Setting<T>(T Value, string? Expression)
{
    public bool IsExpression => Expression is not null;

    public static implicit operator Setting<T>(T value) => new(value, null);
}

/// <summary>Spec §1: runs of one group do not overlap; with cancel-in-progress the older run is cancelled.</summary>
public sealed record ConcurrencyGroup(string Group, Setting<bool> CancelInProgress);

/// <summary>Loom's <c>retry</c>: a failed job runs again, attempt k (k ≥ 2) after <c>backoff · 2^(k-2)</c> seconds.</summary>
public sealed record RetryPolicy(int MaxAttempts, double BackoffSeconds)
{
    public TimeSpan DelayBefore(int attempt) =>
        TimeSpan.FromSeconds(Math.Min(BackoffSeconds * Math.Pow(2, attempt - 2), TimeSpan.FromDays(1).TotalSeconds));
}

/// <summary><c>strategy</c>: the matrix as written (expanded when the job is ready, since it may use <c>needs</c>).</summary>
public sealed record Strategy(Setting<bool> FailFast, Setting<int>? MaxParallel, DataNode? Matrix);

/// <summary>A YAML value kept as data, its scalars possibly holding <c>${{ }}</c>: what <c>strategy.matrix</c> is.</summary>
public abstract record DataNode;

/// <param name="Plain">Unquoted: YAML's core schema makes it a number, boolean or null where it reads as one.</param>
public sealed record DataScalar(string Text, bool Plain) : DataNode;

public sealed record DataList(IReadOnlyList<DataNode> Items) : DataNode;

public sealed record DataMap(IReadOnlyList<KeyValuePair<string, DataNode>> Entries) : DataNode;

/// <param name="DisplayName">A template.</param>
/// <param name="Env">Values are templates.</param>
/// <param name="RunsOn">Labels (templates).</param>
/// <param name="Outputs">Names to templates, evaluated when the job's steps are done.</param>
public sealed record Job(
    string Id,
    string? DisplayName,
    IReadOnlyList<string> Needs,
    Condition If,
    IReadOnlyDictionary<string, string> Env,
    RunDefaults Defaults,
    Setting<double> TimeoutMinutes,
    Setting<bool> ContinueOnError,
    IReadOnlyList<string> RunsOn,
    IReadOnlyList<Step> Steps,
    SourceLocation Location)
{
    public const double DefaultTimeoutMinutes = 360;

    public string Title => DisplayName ?? Id;

    public IReadOnlyDictionary<string, string> Outputs { get; init; } = EmptyMap;
    public Strategy? Strategy { get; init; }
    public RetryPolicy? Retry { get; init; }
    public IReadOnlyList<string> Inputs { get; init; } = [];
    public IReadOnlyList<string> Produces { get; init; } = [];
    public bool Cache { get; init; }
    public ConcurrencyGroup? Concurrency { get; init; }

    internal static readonly IReadOnlyDictionary<string, string> EmptyMap = new Dictionary<string, string>();
}

/// <param name="Run">A template, like <paramref name="Name"/>, <paramref name="Shell"/> and <paramref name="WorkingDirectory"/>.</param>
public sealed record Step(
    int Index,
    string? Id,
    string? Name,
    string Run,
    string? Shell,
    string? WorkingDirectory,
    IReadOnlyDictionary<string, string> Env,
    Condition If,
    Setting<double>? TimeoutMinutes,
    Setting<bool> ContinueOnError,
    SourceLocation Location)
{
    /// <summary>What the live view shows: the name, else the first line of <c>run</c>.</summary>
    public string Title => TitleOf(Name, Run);

    public static string TitleOf(string? name, string run) => name ?? FirstLine(run);

    private static string FirstLine(string run)
    {
        var line = run.Split('\n', 2)[0].Trim();
        return line.Length <= 60 ? line : line[..57] + "...";
    }
}
