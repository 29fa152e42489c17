using Loom.Core.Model;

namespace Loom.Actors.Protocol;

/// <summary>
/// Everything a runner needs to run one job (or matrix cell), resolved so it can be sent to another
/// node: defaults applied, job-level expressions evaluated; step values stay templates, evaluated by
/// the runner as each step starts, and conditions travel as text.
/// </summary>
/// <param name="Id">What events name: the job's id, or its matrix cell's id.</param>
/// <param name="JobId">The job's id (<c>LOOM_JOB</c>, the same for every cell).</param>
/// <param name="Env">Workflow and job env, evaluated.</param>
/// <param name="Outputs">The job's <c>outputs</c> templates, evaluated once its steps are done.</param>
/// <param name="ContextsJson">The job's expression contexts as one JSON object: loom, github, needs, matrix, strategy, runner, vars, inputs.</param>
/// <param name="Secrets">Names to values: <c>secrets.NAME</c>, and masked in everything the job prints.</param>
public sealed record JobSpec(
    string Id,
    string JobId,
    int Attempt,
    IReadOnlyDictionary<string, string> Env,
    double TimeoutMinutes,
    IReadOnlyList<StepSpec> Steps,
    IReadOnlyDictionary<string, string> Outputs,
    string ContextsJson,
    IReadOnlyDictionary<string, string> Secrets);

/// <param name="Name">A template; null when the step has none (then <paramref name="Title"/> is the first line of run).</param>
public sealed record StepSpec(
    int Index,
    string? Id,
    string? Name,
    string Title,
    string Run,
    string? Shell,
    string? WorkingDirectory,
    IReadOnlyDictionary<string, string> Env,
    string If,
    Setting<double>? TimeoutMinutes,
    Setting<bool> ContinueOnError);
