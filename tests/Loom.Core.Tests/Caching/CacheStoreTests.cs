using System.Runtime.Versioning;
using Loom.Core.Caching;

namespace Loom.Core.Tests.Caching;

/// <summary>Saving, finding and restoring produced files, on real files, including races between stores.</summary>
[UnsupportedOSPlatform("windows")] // file modes and links as Unix has them
public sealed class CacheStoreTests : IDisposable
{
    private const UnixFileMode Executable = (UnixFileMode)0x1ED; // rwxr-xr-x
    private static readonly string Key = new('1', 64);
    private static readonly Dictionary<string, string> Outputs = new() { ["version"] = "1.2.3" };

    private readonly TempWorkspace workspace = new();
    private readonly CacheStore store;

    public CacheStoreTests()
    {
        store = CacheStore.ForWorkspace(workspace.Root);
        workspace.Write("bin/app", "#!/bin/sh\necho hi\n");
        File.SetUnixFileMode(workspace.PathOf("bin/app"), Executable);
        workspace.Write("bin/lib/data.txt", "data");
        workspace.Write("src/main.c", "int main;");
    }

    public void Dispose() => workspace.Dispose();

    private CacheEntry SaveBin(CacheStore? into = null, string key = "")
    {
        var saved = (into ?? store).Save(key == "" ? Key : key, "build", "run-1", Outputs, workspace.Root, ["bin/**"]);
        Assert.Null(saved.Refusal);
        return saved.Entry!;
    }

    private string EntryFile(string key) => Path.Combine(store.Folder, "entries", key + ".json");

    [Fact]
    public void A_saved_entry_is_found_with_its_outputs_run_and_files()
    {
        SaveBin();
        var found = store.TryGet(Key);
        Assert.Null(found.Problem);
        var entry = found.Entry!;
        Assert.Equal(("build", "run-1", "1.2.3"), (entry.JobId, entry.RunId, entry.Outputs["version"]));
        Assert.Equal(["bin/app", "bin/lib/data.txt"], entry.Files.Select(f => f.Path));
        Assert.True(entry.Files[0].IsExecutable);
        Assert.False(entry.Files[1].IsExecutable);
        Assert.Equal(4, entry.Files[1].Size);
        Assert.Equal(entry.Files.Sum(f => f.Size), entry.Size);
        Assert.True(File.Exists(Path.Combine(store.Folder, "blobs", entry.Files[1].Hash)));
    }

    [Fact]
    public void An_unknown_key_is_a_plain_miss() => Assert.Equal(CacheLookup.Miss, store.TryGet(new string('f', 64)));

    [Fact]
    public void A_key_that_is_not_a_hash_is_refused() =>
        Assert.Throws<ArgumentException>(() => store.TryGet("../../etc/passwd"));

    [Fact]
    public void Restore_brings_back_a_deleted_file_with_its_content_and_executable_bit()
    {
        var entry = SaveBin();
        Directory.Delete(workspace.PathOf("bin"), recursive: true);

        var restored = store.Restore(store.TryGet(Key).Entry!, workspace.Root);

        Assert.Equal(new CacheRestoreResult(2, null), restored);
        Assert.Equal("#!/bin/sh\necho hi\n", workspace.Read("bin/app"));
        Assert.Equal(Executable, File.GetUnixFileMode(workspace.PathOf("bin/app")));
        Assert.Equal("data", workspace.Read("bin/lib/data.txt"));
        Assert.Equal(entry.Files.Count, restored.FilesRestored);
    }

    [Fact]
    public void Restore_overwrites_a_changed_file_and_its_mode()
    {
        var entry = SaveBin();
        workspace.Write("bin/lib/data.txt", "changed and longer");
        File.SetUnixFileMode(workspace.PathOf("bin/app"), UnixFileMode.UserRead | UnixFileMode.UserWrite);

        Assert.True(store.Restore(entry, workspace.Root).Restored);

        Assert.Equal("data", workspace.Read("bin/lib/data.txt"));
        Assert.Equal(Executable, File.GetUnixFileMode(workspace.PathOf("bin/app")));
    }

    [Fact]
    public void A_produced_link_is_restored_as_the_same_link()
    {
        File.CreateSymbolicLink(workspace.PathOf("bin/current"), "app");
        var entry = SaveBin();
        File.Delete(workspace.PathOf("bin/current"));

        Assert.True(store.Restore(entry, workspace.Root).Restored);

        Assert.Equal("app", new FileInfo(workspace.PathOf("bin/current")).LinkTarget);
    }

    [Fact]
    public void A_link_at_the_target_is_replaced_not_written_through()
    {
        var entry = SaveBin();
        var outside = Path.Combine(Directory.CreateTempSubdirectory("loom-cache-outside-").FullName, "victim");
        File.WriteAllText(outside, "untouched");
        File.Delete(workspace.PathOf("bin/lib/data.txt"));
        File.CreateSymbolicLink(workspace.PathOf("bin/lib/data.txt"), outside);

        Assert.True(store.Restore(entry, workspace.Root).Restored);

        Assert.Equal("untouched", File.ReadAllText(outside));
        Assert.Null(new FileInfo(workspace.PathOf("bin/lib/data.txt")).LinkTarget);
        Assert.Equal("data", workspace.Read("bin/lib/data.txt"));
        Directory.Delete(Path.GetDirectoryName(outside)!, recursive: true);
    }

    [Fact]
    public void Produces_never_takes_the_cache_or_git_folders()
    {
        workspace.Write(".git/HEAD", "ref");
        SaveBin(key: new string('2', 64));
        var saved = store.Save(Key, "all", "run-1", Outputs, workspace.Root, ["**"]);
        Assert.DoesNotContain(saved.Entry!.Files, f => f.Path.StartsWith(".loom/", StringComparison.Ordinal) || f.Path.StartsWith(".git/", StringComparison.Ordinal));
        Assert.Contains(saved.Entry!.Files, f => f.Path == "src/main.c");
    }

    [Theory]
    [InlineData("../escaped")]
    [InlineData("bin/../../escaped")]
    [InlineData("/tmp/escaped")]
    [InlineData("bin//x")]
    [InlineData("bin\\..\\..\\escaped")]
    [InlineData(".loom/cache/entries/x.json")]
    public void An_entry_naming_an_unsafe_path_is_a_reported_miss_and_is_never_restored(string path)
    {
        var entry = SaveBin();
        var hostile = entry with { Files = [entry.Files[1] with { Path = path }] };
        using (var file = File.Create(EntryFile(Key)))
            CacheEntryJson.Write(file, hostile);

        var found = store.TryGet(Key);
        Assert.False(found.IsHit);
        Assert.Contains("corrupt", found.Problem);

        var restored = store.Restore(hostile, workspace.Root);
        Assert.False(restored.Restored);
        Assert.Contains("refused", restored.Problem);
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(workspace.Root)!, "escaped")));
    }

    [Fact]
    public void A_folder_on_the_way_that_is_a_link_is_refused()
    {
        var entry = SaveBin();
        var outside = Directory.CreateTempSubdirectory("loom-cache-outside-").FullName;
        Directory.Delete(workspace.PathOf("bin"), recursive: true);
        Directory.CreateSymbolicLink(workspace.PathOf("bin"), outside);

        var restored = store.Restore(entry, workspace.Root);

        Assert.Contains("'bin' is a link", restored.Problem);
        Assert.Empty(Directory.GetFileSystemEntries(outside));
        Directory.Delete(outside);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{\"format\":1,\"key\":")]
    [InlineData("not json at all")]
    [InlineData("{\"format\":2}")]
    [InlineData("[1,2,3]")]
    public void A_corrupt_entry_is_a_reported_miss(string content)
    {
        SaveBin();
        File.WriteAllText(EntryFile(Key), content);

        var found = store.TryGet(Key);

        Assert.Null(found.Entry);
        Assert.Contains("corrupt", found.Problem);
        Assert.Empty(store.List());
    }

    [Fact]
    public void An_entry_saved_under_another_key_is_a_miss()
    {
        SaveBin();
        File.Copy(EntryFile(Key), EntryFile(new string('3', 64)));
        Assert.Contains("names another key", store.TryGet(new string('3', 64)).Problem);
        Assert.Equal(Key, Assert.Single(store.List()).Key);
    }

    [Fact]
    public void An_entry_whose_key_is_a_path_is_corrupt_and_prune_never_follows_it()
    {
        SaveBin();
        workspace.Write("victim.json", "keep me");
        var hostileKey = Path.GetRelativePath(Path.Combine(store.Folder, "entries"), workspace.PathOf("victim"));
        File.WriteAllText(EntryFile(Key), File.ReadAllText(EntryFile(Key)).Replace(Key, hostileKey));

        Assert.Contains("corrupt", store.TryGet(Key).Problem);
        Assert.Empty(store.List());
        store.Prune(maxBytes: 0);
        Assert.Equal("keep me", workspace.Read("victim.json"));
    }

    [Fact]
    public void A_damaged_blob_is_detected_and_leaves_the_workspace_as_it_was()
    {
        var entry = SaveBin();
        File.WriteAllText(Path.Combine(store.Folder, "blobs", entry.Files[1].Hash), "evil");
        File.Delete(workspace.PathOf("bin/app"));

        var restored = store.Restore(entry, workspace.Root);

        Assert.Contains("damaged", restored.Problem);
        Assert.False(File.Exists(workspace.PathOf("bin/app")));
        Assert.Equal(["data.txt"], Directory.GetFileSystemEntries(workspace.PathOf("bin/lib")).Select(Path.GetFileName));
    }

    [Fact]
    public void Produced_files_above_the_limit_are_refused_with_a_reason()
    {
        var small = new CacheStore(store.Folder, maxProducedBytes: 10);
        var saved = small.Save(Key, "build", "run-1", Outputs, workspace.Root, ["bin/**"]);
        Assert.Null(saved.Entry);
        Assert.Equal("'build' was not cached: it produces 22 B, more than the cache's limit of 10 B", saved.Refusal);
        Assert.False(store.TryGet(Key).IsHit);
    }

    [Fact]
    public void A_job_that_produces_nothing_caches_its_outputs_alone()
    {
        var saved = store.Save(Key, "lint", "run-1", Outputs, workspace.Root, []);
        Assert.Empty(saved.Entry!.Files);
        Assert.Equal("1.2.3", store.TryGet(Key).Entry!.Outputs["version"]);
        Assert.Equal(new CacheRestoreResult(0, null), store.Restore(saved.Entry, workspace.Root));
    }

    [Fact]
    public async Task Concurrent_saves_of_one_key_all_succeed_and_a_reader_never_sees_half_an_entry()
    {
        const int Savers = 4, Rounds = 20;
        SaveBin();
        var savers = Enumerable.Range(0, Savers)
            .Select(i => Task.Run(() =>
            {
                // Each its own store, as another loom process would be.
                var own = CacheStore.ForWorkspace(workspace.Root);
                return Enumerable.Range(0, Rounds)
                    .Select(round => own.Save(Key, "build", $"run-{i}-{round}", Outputs, workspace.Root, ["bin/**"]))
                    .ToArray();
            }))
            .ToArray();
        var reader = Task.Run(() =>
        {
            var own = CacheStore.ForWorkspace(workspace.Root);
            var lookups = new List<CacheLookup>();
            while (!savers.All(s => s.IsCompleted))
                lookups.Add(own.TryGet(Key));
            return lookups;
        });

        var saved = (await Task.WhenAll(savers)).SelectMany(r => r).ToArray();
        var seen = await reader;

        Assert.All(saved, r => Assert.Null(r.Refusal));
        Assert.All(seen, found => Assert.True(found.IsHit, found.Problem));
        Assert.Equal(Key, Assert.Single(store.List()).Key);
        Assert.Empty(Directory.GetFiles(Path.Combine(store.Folder, "entries"), ".*"));
        Assert.Equal(2, Directory.GetFiles(Path.Combine(store.Folder, "blobs")).Length); // no temporary left behind
    }

    [Fact]
    public void Clear_between_lookup_and_restore_makes_the_restore_a_miss_without_touching_files()
    {
        var entry = SaveBin();
        File.Delete(workspace.PathOf("bin/app"));
        Assert.True(store.TryGet(Key).IsHit);

        Assert.Equal(1, store.Clear());

        var restored = store.Restore(entry, workspace.Root);
        Assert.Contains("gone", restored.Problem);
        Assert.False(File.Exists(workspace.PathOf("bin/app")));
        Assert.Equal(CacheLookup.Miss, store.TryGet(Key));
        Assert.Empty(store.List());
    }

    [Fact]
    public void An_entry_whose_blob_was_cleared_is_a_reported_miss()
    {
        var entry = SaveBin();
        File.Delete(Path.Combine(store.Folder, "blobs", entry.Files[0].Hash));
        Assert.Contains("lost the content of 'bin/app'", store.TryGet(Key).Problem);
    }

    [Fact]
    public async Task Clearing_while_others_save_look_up_and_restore_never_throws()
    {
        const int Rounds = 50;
        var clearer = Task.Run(() =>
        {
            var own = CacheStore.ForWorkspace(workspace.Root);
            for (var i = 0; i < Rounds; i++)
                own.Clear();
        });
        var user = Task.Run(() =>
        {
            var own = CacheStore.ForWorkspace(workspace.Root);
            var restores = 0;
            for (var i = 0; i < Rounds; i++)
            {
                own.Save(Key, "build", "run-1", Outputs, workspace.Root, ["bin/**"]);
                if (own.TryGet(Key).Entry is { } entry && own.Restore(entry, workspace.Root).Restored)
                    restores++;
                own.List();
            }
            return restores;
        });
        await clearer;
        Assert.InRange(await user, 0, Rounds);
        Assert.Equal("data", workspace.Read("bin/lib/data.txt"));
        Assert.Empty(Directory.GetFiles(workspace.PathOf("bin"), ".*", SearchOption.AllDirectories));
    }

    [Fact]
    public void List_gives_the_newest_entry_first()
    {
        var clock = new SteppingClock();
        var timed = new CacheStore(store.Folder, clock: clock);
        SaveBin(timed, new string('a', 64));
        SaveBin(timed, new string('b', 64));
        SaveBin(timed, new string('c', 64));

        Assert.Equal([new string('c', 64), new string('b', 64), new string('a', 64)], timed.List().Select(e => e.Key));
    }

    [Fact]
    public void Prune_deletes_the_oldest_entries_and_the_blobs_only_they_named()
    {
        var clock = new SteppingClock();
        var timed = new CacheStore(store.Folder, clock: clock);
        var old = SaveBin(timed, new string('a', 64));
        workspace.Write("bin/lib/data.txt", "newer data");
        var newer = SaveBin(timed, new string('b', 64));
        clock.Advance(TimeSpan.FromDays(1)); // past the grace that protects blobs a running save may name

        Assert.Equal(1, timed.Prune(maxBytes: newer.Size));

        Assert.Equal([newer.Key], timed.List().Select(e => e.Key));
        var blobs = Directory.GetFiles(Path.Combine(store.Folder, "blobs")).Select(Path.GetFileName).Order();
        Assert.Equal(newer.Files.Select(f => f.Hash).Order(), blobs);
        Assert.DoesNotContain(old.Files[1].Hash, blobs);
    }

    /// <summary>A clock that moves one second each time it is read, so entries are ordered without sleeping.</summary>
    private sealed class SteppingClock : TimeProvider
    {
        private DateTimeOffset now = DateTimeOffset.UtcNow;

        public void Advance(TimeSpan by) => now += by;

        public override DateTimeOffset GetUtcNow() => now += TimeSpan.FromSeconds(1);
    }
}
