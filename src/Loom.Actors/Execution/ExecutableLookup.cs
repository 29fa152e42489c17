namespace Loom.Actors.Execution;

/// <summary>PATH search as a shell does it, in the step's environment rather than Loom's.</summary>
internal static class ExecutableLookup
{
    /// <summary>Used when the step's environment has no PATH (execvp's default).</summary>
    public const string DefaultPath = "/usr/local/bin:/usr/bin:/bin";

    /// <summary>
    /// The first executable regular file called <paramref name="name"/> on <paramref name="path"/>,
    /// spelled as bash spells it in <c>$_</c> (the PATH entry as written, then the name); a name
    /// containing a slash is taken as is. Relative results are relative to the working directory.
    /// </summary>
    public static string? Find(string name, string path, string workingDirectory)
    {
        if (name.Length == 0)
            return null;
        if (name.Contains('/'))
            return IsExecutable(name, workingDirectory) ? name : null;
        foreach (var range in path.AsSpan().Split(':'))
        {
            var entry = path[range];
            var candidate = entry.Length == 0 ? name : entry.EndsWith('/') ? entry + name : $"{entry}/{name}";
            if (IsExecutable(candidate, workingDirectory))
                return candidate;
        }
        return null;
    }

    private static bool IsExecutable(string candidate, string workingDirectory)
    {
        var full = Path.IsPathRooted(candidate) ? candidate : Path.Combine(workingDirectory, candidate);
        // access() first: one cheap syscall rejects the usual miss.
        return Libc.access(full, Libc.X_OK) == 0 && File.Exists(full);
    }
}
