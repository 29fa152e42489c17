namespace Loom.Core.Caching;

/// <summary>A hit (<see cref="Entry"/>), a plain miss, or a miss with a <see cref="Problem"/> to report (a corrupt entry, a missing blob).</summary>
public sealed record CacheLookup(CacheEntry? Entry, string? Problem)
{
    public static CacheLookup Miss { get; } = new(null, null);

    public bool IsHit => Entry is not null;
}

/// <summary>The saved entry, or why the job's result was not cached (too large, a file vanished, the disk is full). Never a reason to fail the job.</summary>
public sealed record CacheSaveResult(CacheEntry? Entry, string? Refusal);

/// <summary>
/// How many files were put back, or why none were (a blob cleared meanwhile, an unsafe path): then the workspace
/// is as it was and the job should run.
/// </summary>
public sealed record CacheRestoreResult(int FilesRestored, string? Problem)
{
    public bool Restored => Problem is null;
}
