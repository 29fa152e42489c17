namespace Loom.Core.Caching;

/// <summary>A computed key (64 lowercase hex digits) and a count of what went into it.</summary>
public sealed record CacheKey(string Value, int InputFiles, long InputBytes, int Needs, int EnvVariables, int DefinitionFields)
{
    /// <summary>Changes whenever what goes into a key, or how, changes: every older key then misses.</summary>
    public const int FormatVersion = 1;

    /// <summary>For <c>loom why</c> and debugging: "12 input files (3.1 KiB), 2 needs, 4 env variables, 6 definition fields".</summary>
    public string Explanation =>
        $"{Count(InputFiles, "input file")} ({ByteSize.Format(InputBytes)}), {Count(Needs, "need")}, " +
        $"{Count(EnvVariables, "env variable")}, {Count(DefinitionFields, "definition field")}";

    /// <summary>
    /// The job's key: SHA-256 over the format version, the job id, the definition, the env maps, every selected input
    /// file (path, then for a file its length and content hash, for a link its target text) and the needs'
    /// fingerprints, each field length-prefixed. Call it after the needs finished, so files they generate count.
    /// </summary>
    /// <param name="workspace">The folder the <c>inputs</c> globs are relative to.</param>
    /// <returns>The key, or an error when an input file vanished or could not be read, or a glob is invalid: the job then runs uncached.</returns>
    public static CacheKeyResult Compute(CacheKeyInput input, string workspace)
    {
        try
        {
            return new CacheKeyResult(ComputeKey(input, workspace), null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return new CacheKeyResult(null, $"cannot hash the inputs of '{input.JobId}': {e.Message}");
        }
    }

    private static CacheKey ComputeKey(CacheKeyInput input, string workspace)
    {
        using var hash = new CanonicalHash();
        hash.Add("loom-cache-key");
        hash.Add(FormatVersion);
        hash.Add(input.JobId);
        hash.AddPairs(input.Definition);

        hash.AddMap(input.WorkflowEnv);
        hash.AddMap(input.JobEnv);
        hash.Add(input.StepEnvs.Count);
        foreach (var env in input.StepEnvs)
            hash.AddMap(env);

        var files = WorkspaceFiles.Select(workspace, input.Inputs);
        hash.Add(files.Count);
        long bytes = 0;
        foreach (var file in files)
            bytes += AddFile(hash, file);

        var needs = input.Needs.OrderBy(n => n.JobId, StringComparer.Ordinal).ToArray();
        hash.Add(needs.Length);
        foreach (var need in needs)
        {
            hash.Add(need.JobId);
            hash.Add(need.Value);
        }

        var envCount = input.WorkflowEnv.Count + input.JobEnv.Count + input.StepEnvs.Sum(e => e.Count);
        return new CacheKey(hash.ToHex(), files.Count, bytes, needs.Length, envCount, input.Definition.Count);
    }

    /// <returns>The bytes hashed.</returns>
    /// <exception cref="IOException">The file vanished between listing and reading.</exception>
    private static long AddFile(CanonicalHash hash, WorkspaceFile file)
    {
        hash.Add(file.RelativePath);
        if (file.IsLink)
        {
            // Hashed as written, not followed: following could leave the workspace or loop.
            var target = new FileInfo(file.FullPath).LinkTarget
                ?? throw new FileNotFoundException($"'{file.RelativePath}' vanished or changed while it was hashed");
            hash.Add("link");
            hash.Add(target);
            return 0;
        }
        ContentHash content;
        try
        {
            content = ContentHash.OfFile(file.FullPath);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FileNotFoundException($"'{file.RelativePath}' vanished while it was hashed", e);
        }
        hash.Add("file");
        hash.Add(content.Length);
        hash.Add(content.Hex);
        return content.Length;
    }

    private static string Count(int count, string noun) => $"{count} {noun}{(count == 1 ? "" : "s")}";
}

/// <summary>Either a key, or why none could be computed (the job then runs as if it were not cached).</summary>
public sealed record CacheKeyResult(CacheKey? Key, string? Error);
