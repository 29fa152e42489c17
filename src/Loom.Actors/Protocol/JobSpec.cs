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
    IReadOnlyDictionary<string, string> Secrets)
{
    /// <summary>For a <c>cache: true</c> job: what its cache key covers; null for other jobs.</summary>
    public CacheRequest? Cache { get; init; }

    /// <summary>The job's <c>runs-on</c> labels, evaluated: on a cluster it runs only on a node that has all of them.</summary>
    public IReadOnlyList<string> RunsOn { get; init; } = [];
}

/// <summary>
/// What a cached job's key is made of, worked out by the scheduler once the job's needs are done (the runner
/// hashes the <paramref name="Inputs"/> files then, as they really are).
/// </summary>
/// <param name="Definition">The job as it runs: step templates, timeout, outputs, and the contexts they may read (never per-run values).</param>
/// <param name="Read">False under <c>--no-cache</c>: the job runs whatever the cache holds, and its result is saved.</param>
public sealed record CacheRequest(
    IReadOnlyList<KeyValuePair<string, string>> Definition,
    IReadOnlyList<IReadOnlyDictionary<string, string>> StepEnvs,
    IReadOnlyList<string> Inputs,
    IReadOnlyList<string> Produces,
    IReadOnlyList<NeedOutcome> Needs,
    bool Read);

/// <summary>A needed job (or matrix cell) as a cache key sees it: its own key when it has one, else its result and outputs.</summary>
public sealed record NeedOutcome(string JobId, string? CacheKey, Result Result, IReadOnlyDictionary<string, string> Outputs);

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
