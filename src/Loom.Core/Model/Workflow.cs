using Loom.Core.Diagnostics;

namespace Loom.Core.Model;

/// <summary>A validated workflow: the jobs in file order, every reference checked.</summary>
public sealed record Workflow(
    string Name,
    string FilePath,
    IReadOnlyDictionary<string, string> Env,
    RunDefaults Defaults,
    int? MaxParallel,
    IReadOnlyList<Job> Jobs)
{
    public Job this[string jobId] => Jobs.First(j => j.Id == jobId);
}

/// <summary><c>defaults.run</c>: the shell and working directory used when a step names none.</summary>
public sealed record RunDefaults(string? Shell, string? WorkingDirectory)
{
    public static readonly RunDefaults None = new(null, null);
}

public sealed record Job(
    string Id,
    string? DisplayName,
    IReadOnlyList<string> Needs,
    Condition If,
    IReadOnlyDictionary<string, string> Env,
    RunDefaults Defaults,
    double TimeoutMinutes,
    bool ContinueOnError,
    IReadOnlyList<string> RunsOn,
    IReadOnlyList<Step> Steps,
    SourceLocation Location)
{
    public const double DefaultTimeoutMinutes = 360;

    public string Title => DisplayName ?? Id;
}

public sealed record Step(
    int Index,
    string? Id,
    string? Name,
    string Run,
    string? Shell,
    string? WorkingDirectory,
    IReadOnlyDictionary<string, string> Env,
    Condition If,
    double? TimeoutMinutes,
    bool ContinueOnError,
    SourceLocation Location)
{
    /// <summary>What the live view shows: the name, else the first line of <c>run</c>.</summary>
    public string Title => Name ?? FirstLine(Run);

    private static string FirstLine(string run)
    {
        var line = run.Split('\n', 2)[0].Trim();
        return line.Length <= 60 ? line : line[..57] + "...";
    }
}
