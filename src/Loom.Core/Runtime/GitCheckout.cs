namespace Loom.Core.Runtime;

/// <summary>
/// Reads <see cref="CheckoutInfo"/> straight from the <c>.git</c> files, without starting <c>git</c>: the
/// nearest <c>.git</c> folder, or <c>.git</c> file (<c>gitdir: ...</c>, as in worktrees and submodules) up
/// from the workspace; <c>HEAD</c> there; refs as loose files (the worktree's own, then the shared ones
/// named by <c>commondir</c>) or in <c>packed-refs</c>; <c>remote.origin.url</c> from the shared <c>config</c>.
/// </summary>
public static class GitCheckout
{
    private const string SymbolicPrefix = "ref: ";
    private const int MaxSymbolicDepth = 5;

    public static CheckoutInfo Read(string workspace)
    {
        if (FindGitDirectory(Path.GetFullPath(workspace)) is not { } gitDir)
            return CheckoutInfo.None;
        var commonDir = ReadText(Path.Combine(gitDir, "commondir")) is { } common
            ? Path.GetFullPath(Path.Combine(gitDir, common.Trim()))
            : gitDir;

        var head = ReadText(Path.Combine(gitDir, "HEAD"))?.Trim() ?? "";
        var repository = GitRemoteUrl.Repository(OriginUrl(Path.Combine(commonDir, "config")) ?? "");
        if (!head.StartsWith(SymbolicPrefix, StringComparison.Ordinal))
            return new CheckoutInfo(ObjectIdOrEmpty(head), "", "", repository);

        var reference = head[SymbolicPrefix.Length..].Trim();
        return new CheckoutInfo(Resolve(reference, gitDir, commonDir, MaxSymbolicDepth), reference, ShortName(reference), repository);
    }

    private static string? FindGitDirectory(string directory)
    {
        for (var current = directory; current is not null; current = Path.GetDirectoryName(current))
        {
            var dotGit = Path.Combine(current, ".git");
            if (Directory.Exists(dotGit))
                return dotGit;
            if (ReadText(dotGit) is { } link && link.StartsWith("gitdir:", StringComparison.Ordinal))
                return Path.GetFullPath(Path.Combine(current, link["gitdir:".Length..].Trim()));
        }
        return null;
    }

    private static string Resolve(string reference, string gitDir, string commonDir, int depth)
    {
        // A ref outside refs/ or with ".." would read files outside the repository.
        if (depth == 0 || !reference.StartsWith("refs/", StringComparison.Ordinal) || reference.Split('/').Contains(".."))
            return "";
        var loose = ReadText(Path.Combine(gitDir, reference)) ?? ReadText(Path.Combine(commonDir, reference));
        if (loose is not null)
        {
            loose = loose.Trim();
            return loose.StartsWith(SymbolicPrefix, StringComparison.Ordinal)
                ? Resolve(loose[SymbolicPrefix.Length..].Trim(), gitDir, commonDir, depth - 1)
                : ObjectIdOrEmpty(loose);
        }
        return ObjectIdOrEmpty(PackedRef(Path.Combine(commonDir, "packed-refs"), reference));
    }

    /// <summary>A 40 (SHA-1) or 64 (SHA-256) digit hex id, or "" for anything else a broken file holds.</summary>
    private static string ObjectIdOrEmpty(string? text)
        => text is { Length: 40 or 64 } && text.All(char.IsAsciiHexDigitLower) ? text : "";

    /// <summary>packed-refs lines are <c>&lt;sha&gt; &lt;ref&gt;</c>; <c>#</c> starts the header, <c>^</c> a peeled tag.</summary>
    private static string? PackedRef(string path, string reference)
    {
        if (!File.Exists(path))
            return null;
        foreach (var line in File.ReadLines(path))
        {
            var space = line.IndexOf(' ');
            if (space > 0 && line[0] is not ('#' or '^') && line.AsSpan(space + 1).TrimEnd().SequenceEqual(reference))
                return line[..space];
        }
        return null;
    }

    private static string ShortName(string reference)
    {
        foreach (var prefix in (string[])["refs/heads/", "refs/tags/"])
        {
            if (reference.StartsWith(prefix, StringComparison.Ordinal))
                return reference[prefix.Length..];
        }
        return reference;
    }

    /// <summary>The <c>url</c> of <c>[remote "origin"]</c>: section names are case-insensitive, the remote name is not.</summary>
    private static string? OriginUrl(string configPath)
    {
        if (!File.Exists(configPath))
            return null;
        var inOrigin = false;
        foreach (var raw in File.ReadLines(configPath))
        {
            var line = raw.Trim();
            if (line.StartsWith('['))
            {
                inOrigin = line.StartsWith("[remote \"origin\"]", StringComparison.OrdinalIgnoreCase)
                    && line.Contains("\"origin\"", StringComparison.Ordinal);
                continue;
            }
            var equals = line.IndexOf('=');
            if (inOrigin && equals > 0 && line[..equals].Trim().Equals("url", StringComparison.OrdinalIgnoreCase))
                return line[(equals + 1)..].Trim().Trim('"');
        }
        return null;
    }

    /// <summary>Small files only: a hostile checkout must not make Loom read a huge HEAD into memory.</summary>
    private static string? ReadText(string path)
    {
        const int MaxBytes = 64 * 1024;
        try
        {
            var file = new FileInfo(path);
            return file.Exists && file.Length <= MaxBytes ? File.ReadAllText(path) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
