namespace Loom.Core.Caching;

/// <summary>
/// The cache of one workspace, in <c>.loom/cache</c>: <c>entries/&lt;key&gt;.json</c> (see <see cref="CacheEntryJson"/>)
/// and <c>blobs/&lt;sha256&gt;</c>, produced files stored once by content. It keeps no state in memory and takes no
/// locks: every file appears by an atomic rename, blobs before the entry naming them, so any number of
/// <c>loom</c> processes may read, save, clear and prune at once. The worst a race does is turn a hit into a miss.
/// </summary>
public sealed class CacheStore
{
    public const long DefaultMaxProducedBytes = 1L << 30;

    /// <summary>Blobs younger than this are never pruned: a save running meanwhile may be about to name them.</summary>
    private static readonly TimeSpan PruneGrace = TimeSpan.FromHours(1);

    private readonly string entries;
    private readonly string blobs;
    private readonly long maxProducedBytes;
    private readonly TimeProvider clock;

    /// <param name="maxProducedBytes">A job whose produced files add up to more is not cached (<see cref="Save"/> says why).</param>
    /// <param name="clock">For entries' creation times; the system clock unless a test needs another.</param>
    public CacheStore(string folder, long maxProducedBytes = DefaultMaxProducedBytes, TimeProvider? clock = null)
    {
        Folder = Path.GetFullPath(folder);
        entries = Path.Combine(Folder, "entries");
        blobs = Path.Combine(Folder, "blobs");
        this.maxProducedBytes = maxProducedBytes;
        this.clock = clock ?? TimeProvider.System;
    }

    public string Folder { get; }

    public static CacheStore ForWorkspace(string workspace, long maxProducedBytes = DefaultMaxProducedBytes) =>
        new(Path.Combine(workspace, ".loom", "cache"), maxProducedBytes);

    /// <summary>The entry saved under <paramref name="key"/>, if it is readable and all its blobs are there.</summary>
    /// <exception cref="ArgumentException"><paramref name="key"/> is not a <see cref="CacheKey"/> value.</exception>
    public CacheLookup TryGet(string key)
    {
        var path = EntryPath(key);
        byte[] json;
        try
        {
            using var stream = ContentHash.OpenRead(path);
            json = ReadAll(stream);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return CacheLookup.Miss;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new CacheLookup(null, $"cannot read cache entry {key}: {e.Message}");
        }
        if (Parse(json) is not { } entry)
            return new CacheLookup(null, $"cache entry {key} is corrupt; it is ignored");
        if (entry.Key != key)
            return new CacheLookup(null, $"cache entry {key} names another key ({entry.Key}); it is ignored");
        if (entry.Files.FirstOrDefault(f => f.LinkTarget is null && !File.Exists(BlobPath(f.Hash))) is { } lost)
            return new CacheLookup(null, $"cache entry {key} lost the content of '{lost.Path}' (the cache was cleared or pruned)");
        return new CacheLookup(entry, null);
    }

    /// <summary>
    /// Stores the files <paramref name="produces"/> selects (the <c>inputs</c> glob rules, <c>.git</c> and <c>.loom</c>
    /// left out) and the job's outputs under <paramref name="key"/>, replacing any entry there. Call it after the job
    /// succeeded, with the key computed before it ran.
    /// </summary>
    /// <returns>The entry, or why nothing was saved; the job's result stands either way.</returns>
    /// <exception cref="ArgumentException"><paramref name="key"/> is not a <see cref="CacheKey"/> value.</exception>
    public CacheSaveResult Save(
        string key, string jobId, string runId, IReadOnlyDictionary<string, string> outputs, string workspace, IReadOnlyList<string> produces)
    {
        var entryPath = EntryPath(key);
        try
        {
            var selected = WorkspaceFiles.Select(workspace, produces);
            var size = selected.Where(f => !f.IsLink).Sum(f => new FileInfo(f.FullPath).Length);
            if (size > maxProducedBytes)
                return TooLarge(jobId, size);
            Directory.CreateDirectory(blobs);
            Directory.CreateDirectory(entries);
            var files = selected.Select(StoreFile).ToArray();
            size = files.Sum(f => f.Size);
            if (size > maxProducedBytes)
                return TooLarge(jobId, size); // grew while it was copied; the blobs stay for pruning
            var entry = new CacheEntry(key, jobId, runId, clock.GetUtcNow(), new Dictionary<string, string>(outputs, StringComparer.Ordinal), files);
            AtomicFile.Write(entryPath, stream => CacheEntryJson.Write(stream, entry));
            return new CacheSaveResult(entry, null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return new CacheSaveResult(null, $"'{jobId}' was not cached: {e.Message}");
        }
    }

    /// <summary>
    /// Puts <paramref name="entry"/>'s files back into <paramref name="workspace"/>: missing ones recreated, changed ones
    /// overwritten, permissions restored, folders created. Every file is first copied beside its target (and checked
    /// against its hash), then all are renamed into place, so a missing or damaged blob leaves the files as they were.
    /// A path that is not plain and relative, or that leads through a link, is refused: nothing is written outside the
    /// workspace.
    /// </summary>
    public CacheRestoreResult Restore(CacheEntry entry, string workspace) =>
        new ProducedFilesRestorer(Path.GetFullPath(workspace), BlobPath).Restore(entry);

    /// <summary>Every readable entry, newest first; unreadable ones, and any filed under another key, are left out.</summary>
    public IReadOnlyList<CacheEntry> List() =>
        EntryFiles()
            .Select(ReadEntry)
            .OfType<CacheEntry>()
            .OrderByDescending(e => e.Created)
            .ThenBy(e => e.Key, StringComparer.Ordinal)
            .ToArray();

    /// <summary>Deletes every entry, then every blob. A reader meanwhile gets misses, never an exception.</summary>
    /// <returns>The number of entries deleted.</returns>
    public int Clear()
    {
        var deleted = EntryFiles().Count(DeleteIfThere);
        foreach (var blob in FilesIn(blobs))
            DeleteIfThere(blob);
        foreach (var temporary in FilesIn(entries))
            DeleteIfThere(temporary);
        return deleted;
    }

    /// <summary>
    /// Deletes the oldest entries until the blobs the rest name take at most <paramref name="maxBytes"/>, then the
    /// blobs no entry names (except recent ones, which a concurrent save may be about to name).
    /// </summary>
    /// <returns>The number of entries deleted.</returns>
    public int Prune(long maxBytes)
    {
        var kept = new HashSet<string>(StringComparer.Ordinal);
        long keptBytes = 0;
        var deleted = 0;
        foreach (var entry in List())
        {
            var added = entry.Files.Where(f => f.LinkTarget is null && !kept.Contains(f.Hash)).DistinctBy(f => f.Hash).ToArray();
            var bytes = added.Sum(f => f.Size);
            if (keptBytes + bytes <= maxBytes)
            {
                keptBytes += bytes;
                kept.UnionWith(added.Select(f => f.Hash));
            }
            else if (DeleteIfThere(EntryFilePath(entry.Key)))
            {
                deleted++;
            }
        }
        var graceStart = clock.GetUtcNow().UtcDateTime - PruneGrace;
        foreach (var blob in FilesIn(blobs))
        {
            if (!kept.Contains(Path.GetFileName(blob)) && File.GetLastWriteTimeUtc(blob) < graceStart)
                DeleteIfThere(blob);
        }
        return deleted;
    }

    private CachedFile StoreFile(WorkspaceFile file)
    {
        if (file.IsLink)
        {
            var target = new FileInfo(file.FullPath).LinkTarget
                ?? throw new IOException($"'{file.RelativePath}' changed while it was saved");
            return new CachedFile(file.RelativePath, 0, "", null, target);
        }
        using var source = ContentHash.OpenRead(file.FullPath);
        UnixFileMode? mode = OperatingSystem.IsWindows() ? null : File.GetUnixFileMode(source.SafeFileHandle) & CacheEntryJson.PermissionBits;
        var temporary = AtomicFile.TemporaryBeside(Path.Combine(blobs, "blob"));
        try
        {
            ContentHash content;
            using (var copy = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                content = ContentHash.Of(source, copy);
                copy.Flush(flushToDisk: true);
            }
            var blob = BlobPath(content.Hex);
            if (File.Exists(blob))
                File.SetLastWriteTimeUtc(blob, clock.GetUtcNow().UtcDateTime); // in use again: keep it from Prune
            else
                File.Move(temporary, blob, overwrite: true); // a concurrent save of the same content writes the same bytes
            return new CachedFile(file.RelativePath, content.Length, content.Hex, mode, null);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private CacheSaveResult TooLarge(string jobId, long size) => new(
        null,
        $"'{jobId}' was not cached: it produces {ByteSize.Format(size)}, more than the cache's limit of {ByteSize.Format(maxProducedBytes)}");

    private string EntryPath(string key) =>
        CacheEntryJson.IsSha256(key) ? EntryFilePath(key) : throw new ArgumentException($"'{key}' is not a cache key", nameof(key));

    private string EntryFilePath(string key) => Path.Combine(entries, key + ".json");

    private string BlobPath(string hash) => Path.Combine(blobs, hash);

    private IEnumerable<string> EntryFiles() => FilesIn(entries).Where(f => f.EndsWith(".json", StringComparison.Ordinal) && !Path.GetFileName(f).StartsWith('.'));

    private CacheEntry? ReadEntry(string path)
    {
        try
        {
            using var stream = ContentHash.OpenRead(path);
            return Parse(ReadAll(stream)) is { } entry && entry.Key == Path.GetFileNameWithoutExtension(path) ? entry : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static CacheEntry? Parse(byte[] json)
    {
        try
        {
            return CacheEntryJson.Read(json);
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    private static byte[] ReadAll(Stream stream)
    {
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }

    /// <summary>The folder's files at this moment; none when it is gone (cleared by another process).</summary>
    private static string[] FilesIn(string folder)
    {
        try
        {
            return Directory.GetFiles(folder);
        }
        catch (DirectoryNotFoundException)
        {
            return [];
        }
    }

    /// <returns>Whether this call deleted it (false when another process did first).</returns>
    private static bool DeleteIfThere(string path)
    {
        try
        {
            if (!File.Exists(path))
                return false;
            File.Delete(path);
            return true;
        }
        catch (Exception e) when (e is DirectoryNotFoundException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
