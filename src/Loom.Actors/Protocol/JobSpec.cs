namespace Loom.Actors.Protocol;

/// <summary>
/// Everything a runner needs to run one job, resolved from the workflow so it can be sent to
/// another node: defaults applied, conditions as text (re-parsed where they are evaluated).
/// </summary>
public sealed record JobSpec(
    string Id,
    string Title,
    IReadOnlyDictionary<string, string> WorkflowEnv,
    IReadOnlyDictionary<string, string> JobEnv,
    double TimeoutMinutes,
    IReadOnlyList<StepSpec> Steps);

public sealed record StepSpec(
    int Index,
    string? Id,
    string Title,
    string Run,
    string? Shell,
    string? WorkingDirectory,
    IReadOnlyDictionary<string, string> Env,
    string If,
    double? TimeoutMinutes,
    bool ContinueOnError);
