namespace Loom.Core.Caching;

/// <summary>
/// Everything a cached job's key covers, as the caller hands it over after evaluating the job's expressions.
/// Nothing per run may go in (LOOM_RUN_ID, the run number, timestamps), or the key never repeats.
/// </summary>
/// <param name="JobId">The job's id; a matrix cell's full id such as <c>build (linux)</c>.</param>
/// <param name="Definition">
/// The evaluated definition as named texts in a fixed order, e.g. <c>("runs-on", "linux")</c>,
/// <c>("timeout-minutes", "10")</c>, <c>("steps[0].run", "make")</c>, <c>("steps[0].shell", "bash")</c>,
/// <c>("steps[0].working-directory", "app")</c>, <c>("steps[0].if", "success()")</c>. Order matters (it is the
/// order of the steps), so the caller must produce the same order for the same definition.
/// </param>
/// <param name="WorkflowEnv">The workflow's <c>env</c>, evaluated; order does not matter.</param>
/// <param name="JobEnv">The job's <c>env</c>, evaluated; order does not matter.</param>
/// <param name="StepEnvs">Each step's <c>env</c>, evaluated, one map per step in step order (empty maps included).</param>
/// <param name="Inputs">The job's <c>inputs</c> globs, relative to the workspace. Only the files they select count, not the patterns' text.</param>
/// <param name="Needs">One fingerprint per job this job needs (per cell for a matrix need); order does not matter.</param>
public sealed record CacheKeyInput(
    string JobId,
    IReadOnlyList<KeyValuePair<string, string>> Definition,
    IReadOnlyDictionary<string, string> WorkflowEnv,
    IReadOnlyDictionary<string, string> JobEnv,
    IReadOnlyList<IReadOnlyDictionary<string, string>> StepEnvs,
    IReadOnlyList<string> Inputs,
    IReadOnlyList<NeedFingerprint> Needs);

/// <summary>
/// What a needed job contributes to the key of a job that needs it. Build it after the needed job finished: its
/// files are then on disk for <see cref="CacheKeyInput.Inputs"/> to hash as they really are.
/// </summary>
public sealed record NeedFingerprint
{
    private NeedFingerprint(string jobId, string value)
    {
        JobId = jobId;
        Value = value;
    }

    public string JobId { get; }

    /// <summary>The text that goes into the key, tagged with how it was made so a key never equals an outcome.</summary>
    public string Value { get; }

    /// <summary>A cached need: its own cache key, which covers everything it depended on.</summary>
    public static NeedFingerprint FromKey(string jobId, string key) => new(jobId, "key:" + key);

    /// <summary>
    /// A need that is not cached (it ran, or was skipped): its result (<c>success</c>, <c>skipped</c>...) and outputs,
    /// the only things of it a job can read besides files. The files it wrote count through the job's own
    /// <c>inputs</c>, so a need that rewrites the same files with the same outputs does not invalidate the job.
    /// </summary>
    public static NeedFingerprint FromOutcome(string jobId, string result, IReadOnlyDictionary<string, string> outputs)
    {
        using var hash = new CanonicalHash();
        hash.Add(result);
        hash.AddMap(outputs);
        return new(jobId, "outcome:" + hash.ToHex());
    }
}
