using Loom.Actors.Protocol;
using Loom.Core.Caching;
using Loom.Core.Model;

namespace Loom.Actors.Running;

/// <summary>
/// A <c>cache: true</c> job's side of the content-hash cache, run off the runner's thread: its key (over the
/// files its <c>inputs</c> select now, after its needs ran), a lookup and restore before its steps, a save after
/// they succeeded. Problems never fail the job: they are reported and the job runs (or stays uncached).
/// </summary>
internal static class JobCache
{
    /// <param name="Key">Null when it could not be computed (see <paramref name="Problem"/>): the job runs uncached.</param>
    /// <param name="Hit">The entry restored into the workspace; the job's steps do not run.</param>
    public sealed record Checked(string? Key, CacheEntry? Hit, string? Problem);

    public static Checked Check(JobSpec job, CacheRequest request, string workspace)
    {
        var computed = CacheKey.Compute(InputOf(job, request), workspace);
        if (computed.Key is not { } key)
            return new Checked(null, null, $"not cached: {computed.Error}");
        if (!request.Read)
            return new Checked(key.Value, null, null);
        var store = CacheStore.ForWorkspace(workspace);
        var lookup = store.TryGet(key.Value);
        if (lookup.Entry is not { } entry)
            return new Checked(key.Value, null, lookup.Problem is { } problem ? $"cache miss: {problem}" : null);
        var restored = store.Restore(entry, workspace);
        return restored.Restored
            ? new Checked(key.Value, entry, null)
            : new Checked(key.Value, null, $"cache entry not restored, running the job: {restored.Problem}");
    }

    /// <summary>Saves what the job produced and its outputs; returns why it was not saved, or null.</summary>
    public static string? Save(JobSpec job, CacheRequest request, string key, string runId, IReadOnlyDictionary<string, string> outputs, string workspace) =>
        CacheStore.ForWorkspace(workspace).Save(key, job.Id, runId, outputs, workspace, request.Produces).Refusal;

    private static CacheKeyInput InputOf(JobSpec job, CacheRequest request) => new(
        job.Id,
        request.Definition,
        new Dictionary<string, string>(),
        job.Env,
        request.StepEnvs,
        request.Inputs,
        request.Needs.Select(n => n.CacheKey is { } key
            ? NeedFingerprint.FromKey(n.JobId, key)
            : NeedFingerprint.FromOutcome(n.JobId, n.Result.ToWire(), n.Outputs)).ToArray());
}
