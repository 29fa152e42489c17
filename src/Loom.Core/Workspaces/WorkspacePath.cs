using Loom.Core.Caching;

namespace Loom.Core.Workspaces;

/// <summary>
/// The paths a workspace sent to a cluster never holds, and the rule for a path a manifest may name: the cache's rule
/// (relative, '/'-separated, no "", "." or ".." segment, nothing in <c>.git</c> or <c>.loom</c>) and nothing in a node's
/// own <c>.loom-node</c> folder. A manifest comes over the network; anything else could write outside the target.
/// </summary>
public static class WorkspacePath
{
    /// <summary>A <c>loom serve</c> node's default workspace folder: never part of a workspace sent to a cluster.</summary>
    public const string NodeFolderName = ".loom-node";

    /// <returns>Why <paramref name="path"/> is refused, or null when it is safe.</returns>
    public static string? Problem(string path)
    {
        if (CachePath.Problem(path) is { } problem)
            return problem;
        return path.Split('/').Contains(NodeFolderName, StringComparer.Ordinal) ? $"'{path}' is inside '{NodeFolderName}'" : null;
    }
}
