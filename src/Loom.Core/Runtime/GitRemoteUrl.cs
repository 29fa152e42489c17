namespace Loom.Core.Runtime;

/// <summary>Turns a git remote URL into GitHub's <c>owner/name</c> form.</summary>
public static class GitRemoteUrl
{
    /// <summary>
    /// The last two path segments, without a trailing <c>/</c> or <c>.git</c>, of
    /// <c>https://host/owner/name.git</c>, <c>ssh://git@host:22/owner/name</c>,
    /// <c>git@host:owner/name.git</c> (scp-like) or a local path; "" when there are fewer than two.
    /// </summary>
    public static string Repository(string url)
    {
        var path = url.Trim().TrimEnd('/');
        if (path.EndsWith(".git", StringComparison.Ordinal))
            path = path[..^".git".Length];

        var scheme = path.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            var hostEnd = path.IndexOf('/', scheme + 3);
            path = hostEnd < 0 ? "" : path[(hostEnd + 1)..];
        }
        else if (path.IndexOf(':') is var colon and > 0 && !path[..colon].Contains('/'))
        {
            path = path[(colon + 1)..];
        }

        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return segments.Length < 2 ? "" : $"{segments[^2]}/{segments[^1]}";
    }
}
