using System.Runtime.Versioning;
using Loom.Core.Workspaces;

namespace Loom.Core.Tests.Workspaces;

/// <summary><see cref="WorkspaceMaterializer"/> on real folders: round trips, incremental updates, links and hostile manifests.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class WorkspaceMaterializerTests : IDisposable
{
    private readonly WorkspaceTree source = new();
    private readonly WorkspaceTree target = new();
    private readonly WorkspaceTree outside = new();

    public void Dispose()
    {
        source.Dispose();
        target.Dispose();
        outside.Dispose();
    }

    [Fact]
    public async Task Scan_then_materialize_reproduces_the_tree_byte_for_byte()
    {
        var random = new Random(7);
        for (var i = 0; i < 40; i++)
        {
            var content = new byte[random.Next(0, 200_000)];
            random.NextBytes(content);
            source.Write($"d{i % 4}/sub{i % 3}/f{i}.bin", content);
        }
        source.Write("same-1", "dup").Write("same-2", "dup").Write("ünïcode name", "x").Write("bin/tool", "#!/bin/sh\n");
        File.SetUnixFileMode(source.PathOf("bin/tool"), WorkspaceTree.Executable);
        File.SetUnixFileMode(source.PathOf("d0/sub0/f0.bin"), WorkspaceTree.Executable);
        source.Link("link-to-file", "same-1").Link("d1/link-to-folder", "../d2").Link("dangling", "gone");
        Directory.CreateDirectory(source.PathOf("empty/deeper"));
        Directory.CreateDirectory(source.PathOf("d3/sub0/empty"));

        var manifest = WorkspaceScanner.Scan(source.Root);
        var result = await WorkspaceMaterializer.MaterializeAsync(WorkspaceManifest.FromBytes(manifest.ToBytes()), target.Root, MemoryBlobSource.Of(manifest, source.Root));

        Assert.Equal(source.Describe(), target.Describe());
        Assert.Equal(new MaterializeResult(manifest.Files.Count + 3 + 2, 0, 0), result);
    }

    [Fact]
    public async Task A_second_materialize_writes_only_what_changed_and_removes_what_is_gone()
    {
        source.Write("keep", "same").Write("change", "old").Write("grow", "a").Write("gone", "x").Write("dir/gone-too", "x").Write("dir/stays", "y");
        await Materialize(WorkspaceScanner.Scan(source.Root));
        var keptBefore = File.GetLastWriteTimeUtc(target.PathOf("keep"));
        File.SetLastWriteTimeUtc(target.PathOf("keep"), keptBefore.AddDays(-1)); // a rewrite would show
        target.Write("made-by-a-step", "x").Write("build/out/obj", "x");

        File.WriteAllText(source.PathOf("change"), "new");
        File.WriteAllText(source.PathOf("grow"), "ab");
        File.Delete(source.PathOf("gone"));
        File.Delete(source.PathOf("dir/gone-too"));
        var result = await Materialize(WorkspaceScanner.Scan(source.Root));

        Assert.Equal(source.Describe(), target.Describe());
        Assert.Equal(keptBefore.AddDays(-1), File.GetLastWriteTimeUtc(target.PathOf("keep")));
        Assert.Equal(new MaterializeResult(Written: 2, Unchanged: 2, Removed: 4), result);
    }

    [Fact]
    public async Task A_file_of_the_right_size_but_other_content_is_rewritten()
    {
        source.Write("f", "abc");
        await Materialize(WorkspaceScanner.Scan(source.Root));
        var mtime = File.GetLastWriteTimeUtc(target.PathOf("f"));
        File.WriteAllText(target.PathOf("f"), "xyz"); // a step edited it in place
        File.SetLastWriteTimeUtc(target.PathOf("f"), mtime);

        await Materialize(WorkspaceScanner.Scan(source.Root));

        Assert.Equal("abc", File.ReadAllText(target.PathOf("f")));
    }

    [Fact]
    public async Task The_executable_bit_is_set_and_corrected_on_an_unchanged_file()
    {
        source.Write("tool", "#!").Write("data", "d");
        File.SetUnixFileMode(source.PathOf("tool"), WorkspaceTree.Executable);
        var manifest = WorkspaceScanner.Scan(source.Root);
        await Materialize(manifest);
        Assert.Equal(WorkspaceTree.Executable, File.GetUnixFileMode(target.PathOf("tool")));

        File.SetUnixFileMode(target.PathOf("tool"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.SetUnixFileMode(target.PathOf("data"), WorkspaceTree.Executable);
        var result = await Materialize(manifest);

        Assert.Equal(WorkspaceTree.Executable, File.GetUnixFileMode(target.PathOf("tool")));
        Assert.Equal(WorkspaceTree.Plain, File.GetUnixFileMode(target.PathOf("data")));
        Assert.Equal(new MaterializeResult(0, 2, 0), result);
    }

    [Fact]
    public async Task Links_in_the_target_are_removed_never_followed()
    {
        outside.Write("precious/file", "keep me");
        source.Write("sub/f", "x").Write("plain", "p");
        target.Link("sub", outside.PathOf("precious")); // where the manifest wants a folder
        target.Link("plain", outside.PathOf("precious/file")); // where it wants a file
        target.Link("extra", outside.PathOf("precious")); // where it wants nothing

        await Materialize(WorkspaceScanner.Scan(source.Root));

        Assert.Equal(source.Describe(), target.Describe());
        Assert.Equal(["precious/", "precious/file " + WorkspaceTree.Plain + " 6B656570206D65"], outside.Describe());
    }

    [Fact]
    public async Task A_listed_folder_is_made_kept_emptied_of_what_is_not_listed_and_removed_once_unlisted()
    {
        var folders = new WorkspaceManifest([], [], ["out/empty", "work"]);
        Assert.Equal(new MaterializeResult(Written: 2, Unchanged: 0, Removed: 0), await Materialize(folders));
        Assert.Equal(["out/", "out/empty/", "work/"], target.Describe());

        target.Write("work/made-by-a-step", "x").Write("stray", "x");
        Assert.Equal(new MaterializeResult(Written: 0, Unchanged: 2, Removed: 2), await Materialize(folders));
        Assert.Equal(["out/", "out/empty/", "work/"], target.Describe());

        await Materialize(new WorkspaceManifest([], [], ["work"]));
        Assert.Equal(["work/"], target.Describe());
    }

    [Fact]
    public async Task A_listed_folder_replaces_a_file_or_link_where_it_belongs_and_is_never_made_through_a_link()
    {
        target.Write("was-a-file", "x").Link("was-a-link", outside.Root);

        await Materialize(new WorkspaceManifest([], [], ["was-a-file", "was-a-link/sub"]));

        Assert.Equal(["was-a-file/", "was-a-link/", "was-a-link/sub/"], target.Describe());
        Assert.Empty(outside.Describe());
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("/tmp/elsewhere")]
    [InlineData(".git/hooks")]
    [InlineData("")]
    [InlineData("a")] // a file too
    [InlineData("twice")] // listed twice
    public async Task A_hostile_or_conflicting_folder_is_refused_before_anything_is_touched(string folder)
    {
        target.Write("existing", "x");
        var manifest = new WorkspaceManifest([new ManifestFile("a", BlobHash.Empty, 0, false)], [], [folder, "twice"]);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => WorkspaceMaterializer.MaterializeAsync(manifest, target.Root, new MemoryBlobSource()));

        Assert.StartsWith("the workspace manifest is refused: ", error.Message);
        Assert.Equal(["existing " + WorkspaceTree.Plain + " 78"], target.Describe());
    }

    [Fact]
    public async Task Read_only_folders_a_step_left_are_removed()
    {
        target.Write("cache/mod/x", "x");
        File.SetUnixFileMode(target.PathOf("cache/mod"), UnixFileMode.UserRead | UnixFileMode.UserExecute);

        await Materialize(WorkspaceManifest.Empty);

        Assert.Empty(target.Describe());
    }

    [Fact]
    public async Task A_link_already_right_is_kept_and_a_wrong_one_replaced()
    {
        source.Link("a", "x").Link("b", "y");
        target.Link("a", "x").Link("b", "z");

        var result = await Materialize(WorkspaceScanner.Scan(source.Root));

        Assert.Equal(["a -> x", "b -> y"], target.Describe());
        Assert.Equal(new MaterializeResult(1, 1, 1), result);
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("a/../../escape")]
    [InlineData("/etc/passwd")]
    [InlineData("a//b")]
    [InlineData("./a")]
    [InlineData("a\\..\\b")]
    [InlineData("")]
    [InlineData(".git/hooks/pre-commit")]
    [InlineData("sub/.loom/journal.db")]
    [InlineData(".loom-node/blobs/x")]
    public async Task A_hostile_path_is_refused_before_anything_is_touched(string path)
    {
        target.Write("existing", "x");
        var blobs = new MemoryBlobSource();
        var hash = blobs.Add("evil"u8.ToArray());
        var manifest = new WorkspaceManifest([new ManifestFile("fine", hash, 4, false), new ManifestFile(path, hash, 4, false)], [], []);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => WorkspaceMaterializer.MaterializeAsync(manifest, target.Root, blobs));

        Assert.StartsWith("the workspace manifest is refused: ", error.Message);
        Assert.Equal(["existing " + WorkspaceTree.Plain + " 78"], target.Describe());
        Assert.Equal(0, blobs.Opened);
    }

    [Fact]
    public async Task A_link_that_the_manifest_also_uses_as_a_folder_is_refused()
    {
        // Else the link would be made first and the file written through it, outside.
        var manifest = new WorkspaceManifest([new ManifestFile("sub/file", BlobHash.Empty, 0, false)], [new ManifestLink("sub", outside.Root)], []);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => WorkspaceMaterializer.MaterializeAsync(manifest, target.Root, new MemoryBlobSource()));

        Assert.Contains("'sub' is both a file and a folder", error.Message);
        Assert.Empty(outside.Describe());
    }

    [Fact]
    public async Task A_path_named_twice_or_a_bad_hash_is_refused()
    {
        var twice = new WorkspaceManifest([new ManifestFile("a", BlobHash.Empty, 0, false)], [new ManifestLink("a", "b")], []);
        var badHash = new WorkspaceManifest([new ManifestFile("a", "../../etc/passwd", 0, false)], [], []);

        await Assert.ThrowsAsync<InvalidDataException>(() => WorkspaceMaterializer.MaterializeAsync(twice, target.Root, new MemoryBlobSource()));
        await Assert.ThrowsAsync<InvalidDataException>(() => WorkspaceMaterializer.MaterializeAsync(badHash, target.Root, new MemoryBlobSource()));
    }

    [Fact]
    public async Task Content_that_does_not_match_its_hash_is_never_put_in_place()
    {
        source.Write("f", "content");
        var manifest = WorkspaceScanner.Scan(source.Root);
        var blobs = MemoryBlobSource.Of(manifest, source.Root);
        blobs.Damage(manifest.Files[0].Hash);

        await Assert.ThrowsAsync<InvalidDataException>(() => WorkspaceMaterializer.MaterializeAsync(manifest, target.Root, blobs));

        Assert.Empty(target.Describe()); // not even a temporary file left
    }

    [Fact]
    public async Task A_missing_blob_is_reported_by_its_hash()
    {
        source.Write("f", "content");
        var manifest = WorkspaceScanner.Scan(source.Root);

        var error = await Assert.ThrowsAsync<BlobMissingException>(() => WorkspaceMaterializer.MaterializeAsync(manifest, target.Root, new MemoryBlobSource()));

        Assert.Equal(manifest.Files[0].Hash, error.Hash);
    }

    [Fact]
    public async Task Empty_files_need_no_blob()
    {
        source.Write("empty", "");

        await Materialize(WorkspaceScanner.Scan(source.Root), new MemoryBlobSource());

        Assert.Equal(source.Describe(), target.Describe());
    }

    private Task<MaterializeResult> Materialize(WorkspaceManifest manifest, IBlobSource? blobs = null) =>
        WorkspaceMaterializer.MaterializeAsync(manifest, target.Root, blobs ?? MemoryBlobSource.Of(manifest, source.Root));
}
