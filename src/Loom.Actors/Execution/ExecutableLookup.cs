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
        return SearchCache.Find(name, path, workingDirectory);
    }

    private static string? Search(string name, string path, string workingDirectory, ref bool cacheable)
    {
        string? previous = null;
        foreach (var range in path.AsSpan().Split(':'))
        {
            var entry = path[range];
            // A repeated entry was just probed and missed.
            if (entry == previous)
                continue;
            previous = entry;
            cacheable = cacheable && SearchCache.Watch(entry);
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

    /// <summary>
    /// Every step looks up bash and its program: ~10 probes each on a typical PATH, ~20 us. A result
    /// is kept while the directories searched are watched with inotify, and all results are dropped
    /// as soon as an entry in one of them is created, deleted, renamed or has its mode changed, or
    /// one of them is moved or deleted. Watched before being probed, so no change slips in between.
    /// Only absolute PATH entries that are real directories (not symlinks) can be watched; a search
    /// through any other entry is never cached. Not seen: a parent directory renamed or a mount.
    /// </summary>
    private static class SearchCache
    {
        private const uint Changes = Libc.IN_ATTRIB | Libc.IN_CREATE | Libc.IN_DELETE | Libc.IN_MOVED_FROM | Libc.IN_MOVED_TO
            | Libc.IN_DELETE_SELF | Libc.IN_MOVE_SELF | Libc.IN_ONLYDIR | Libc.IN_DONT_FOLLOW;

        // Jobs that prepend to PATH (LOOM_PATH) make new keys: bound the memory a long run can hold.
        private const int MaxResults = 1024;

        private static readonly Lock Gate = new();
        private static readonly Dictionary<(string Name, string Path), string?> Results = [];
        private static readonly HashSet<string> Watched = new(StringComparer.Ordinal);
        // -1 (no inotify: an old kernel, a seccomp profile, the instance limit) disables the cache.
        private static readonly int Inotify = Libc.inotify_init1(Libc.IN_NONBLOCK | Libc.IN_CLOEXEC);

        public static string? Find(string name, string path, string workingDirectory)
        {
            var cacheable = Inotify >= 0;
            if (!cacheable)
                return Search(name, path, workingDirectory, ref cacheable);
            // One lock around read, search and store: a change reported meanwhile cannot be lost.
            lock (Gate)
            {
                if (ChangesReported() || Results.Count >= MaxResults)
                {
                    Results.Clear();
                    Watched.Clear();
                }
                if (Results.TryGetValue((name, path), out var known))
                    return known;
                var found = Search(name, path, workingDirectory, ref cacheable);
                if (cacheable)
                    Results[(name, path)] = found;
                return found;
            }
        }

        /// <summary>Watches <paramref name="entry"/> if it can be (called under the lock); false if not.</summary>
        public static bool Watch(string entry)
        {
            if (Inotify < 0 || !entry.StartsWith('/'))
                return false;
            if (Watched.Contains(entry))
                return true;
            // Watching a directory again only refreshes its watch, so clearing the set is harmless.
            if (Libc.inotify_add_watch(Inotify, entry, Changes) < 0)
                return false;
            Watched.Add(entry);
            return true;
        }

        private static unsafe bool ChangesReported()
        {
            var buffer = stackalloc byte[4096];
            var any = false;
            while (Libc.read(Inotify, buffer, 4096) > 0)
                any = true;
            return any;
        }
    }
}
