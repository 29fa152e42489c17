using System.Text;
using Loom.Cluster.Storage;
using Loom.Core.Workspaces;

namespace Loom.Cluster.Tests.Storage;

/// <summary><see cref="PostgresBlobStore"/>, <see cref="BlobUpload"/> and <see cref="NodeBlobCache"/> on a real PostgreSQL.</summary>
public sealed class BlobStoreTests : IAsyncLifetime
{
    private TestSchema schema = null!;
    private PostgresBlobStore store = null!;
    private readonly string folder = Directory.CreateTempSubdirectory("loom-blobs-").FullName;

    public async Task InitializeAsync()
    {
        schema = await TestSchema.CreateAsync();
        store = new PostgresBlobStore(schema.DataSource);
    }

    public async Task DisposeAsync()
    {
        Directory.Delete(folder, recursive: true);
        await schema.DisposeAsync();
    }

    private static (string Hash, byte[] Content) Blob(string text) => (BlobHash.Of(Encoding.UTF8.GetBytes(text)), Encoding.UTF8.GetBytes(text));

    private static (string Hash, byte[] Content) RandomBlob(int size, int seed)
    {
        var content = new byte[size];
        new Random(seed).NextBytes(content);
        return (BlobHash.Of(content), content);
    }

    [PostgresFact]
    public async Task Missing_names_what_was_not_put_and_get_returns_what_was()
    {
        var (a, aContent) = Blob("a");
        var (b, _) = Blob("b");
        Assert.Equal([a, b], await store.MissingAsync([a, b, a]));

        await store.PutAsync(a, aContent);

        Assert.Equal([b], await store.MissingAsync([a, b]));
        Assert.Equal(aContent, await store.GetAsync(a));
        Assert.Null(await store.GetAsync(b));
        Assert.Empty(await store.MissingAsync([]));
    }

    [PostgresFact]
    public async Task Content_that_does_not_match_its_hash_is_refused()
    {
        var (a, _) = Blob("a");

        await Assert.ThrowsAsync<BlobHashMismatchException>(() => store.PutAsync(a, "not a"u8.ToArray()));

        Assert.Equal([a], await store.MissingAsync([a]));
    }

    [PostgresFact]
    public async Task A_name_that_is_not_a_hash_is_refused()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => store.MissingAsync(["'; DROP TABLE loom_blobs; --"]));
        await Assert.ThrowsAsync<ArgumentException>(() => store.GetAsync(BlobHash.Empty.ToUpperInvariant()));
    }

    [PostgresFact]
    public async Task Concurrent_puts_of_one_blob_all_succeed_and_store_it_once()
    {
        var (hash, content) = RandomBlob(300_000, 1);

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => store.PutAsync(hash, content))));

        Assert.Equal(1L, await schema.ScalarAsync<long>("SELECT count(*) FROM loom_blobs"));
        Assert.Equal(content, await store.GetAsync(hash));
    }

    [PostgresFact]
    public async Task Two_stores_starting_together_create_the_table_once()
    {
        var (hash, content) = Blob("x");
        var stores = Enumerable.Range(0, 6).Select(_ => new PostgresBlobStore(schema.DataSource)).ToArray();

        await Task.WhenAll(stores.Select(s => Task.Run(() => s.PutAsync(hash, content))));

        Assert.Empty(await store.MissingAsync([hash]));
    }

    [PostgresFact]
    public async Task A_damaged_row_is_refused_when_read()
    {
        var (hash, content) = Blob("intact");
        await store.PutAsync(hash, content);
        await schema.ScalarAsync<int>("UPDATE loom_blobs SET data = 'damaged'::bytea RETURNING 1");

        await Assert.ThrowsAsync<BlobHashMismatchException>(() => store.GetAsync(hash));
    }

    [PostgresTheory]
    [InlineData(0)]
    [InlineData(1000)]
    [InlineData(BlobUpload.ChunkBytes)]
    [InlineData(3 * 1024 * 1024 + 17)] // above the in-memory size: assembled in a file
    public async Task Chunks_are_assembled_checked_and_stored(int size)
    {
        var (hash, content) = RandomBlob(size, size);
        await using var upload = new BlobUpload(hash, size, folder);

        for (var offset = 0; offset < size; offset += BlobUpload.ChunkBytes)
            Assert.True(await upload.AppendAsync(offset, content.AsMemory(offset, Math.Min(BlobUpload.ChunkBytes, size - offset))));
        await upload.CompleteAsync(store);

        Assert.Equal(content, await store.GetAsync(hash));
    }

    [PostgresFact]
    public async Task A_resent_chunk_is_ignored_a_gap_refused_and_a_wrong_blob_not_stored()
    {
        var (hash, content) = RandomBlob(200_000, 3);
        await using var upload = new BlobUpload(hash, content.Length, folder);
        await upload.AppendAsync(0, content.AsMemory(0, 65536));

        Assert.False(await upload.AppendAsync(0, content.AsMemory(0, 65536)));
        await Assert.ThrowsAsync<ArgumentException>(() => upload.AppendAsync(131072, content.AsMemory(131072, 1000)));
        await Assert.ThrowsAsync<InvalidOperationException>(() => upload.CompleteAsync(store));
        Assert.Equal(65536, upload.Received);

        var damaged = content.AsMemory(65536).ToArray();
        damaged[^1] ^= 1;
        await upload.AppendAsync(65536, damaged);
        await Assert.ThrowsAsync<BlobHashMismatchException>(() => upload.CompleteAsync(store));
        Assert.Equal([hash], await store.MissingAsync([hash]));
    }

    [PostgresFact]
    public async Task A_big_upload_leaves_no_temporary_file()
    {
        var (hash, content) = RandomBlob(2 * 1024 * 1024, 4);
        await using (var upload = new BlobUpload(hash, content.Length, folder))
        {
            await upload.AppendAsync(0, content);
            Assert.Single(Directory.GetFiles(folder));
            await upload.CompleteAsync(store);
        }

        Assert.Empty(Directory.GetFiles(folder));
    }

    [PostgresFact]
    public async Task The_node_cache_fetches_a_blob_once_however_many_ask()
    {
        var (hash, content) = RandomBlob(100_000, 5);
        await store.PutAsync(hash, content);
        var cache = new NodeBlobCache(Path.Combine(folder, "cache"), store);

        var reads = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Task.Run(async () =>
        {
            await using var stream = await cache.OpenReadAsync(hash, CancellationToken.None);
            var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            return copy.ToArray();
        })));
        await schema.ScalarAsync<int>("DELETE FROM loom_blobs RETURNING 1");
        await using (var again = await cache.OpenReadAsync(hash, CancellationToken.None))
            Assert.Equal(content.Length, again.Length);

        Assert.All(reads, read => Assert.Equal(content, read));
        Assert.Equal(1, cache.Fetches);
        Assert.True(File.Exists(Path.Combine(folder, "cache", hash[..2], hash)));
        Assert.Single(Directory.GetFiles(Path.Combine(folder, "cache"), "*", SearchOption.AllDirectories)); // no temporary left
    }

    [PostgresFact]
    public async Task The_node_cache_reports_a_blob_nobody_has_and_tries_again_later()
    {
        var (hash, content) = Blob("later");
        var cache = new NodeBlobCache(Path.Combine(folder, "cache"), store);

        var error = await Assert.ThrowsAsync<BlobMissingException>(() => cache.OpenReadAsync(hash, CancellationToken.None));
        Assert.Equal(hash, error.Hash);
        await store.PutAsync(hash, content);
        await using var stream = await cache.OpenReadAsync(hash, CancellationToken.None);

        Assert.Equal(content.Length, stream.Length);
        Assert.Equal(2, cache.Fetches);
    }

    [PostgresFact]
    public async Task Scan_upload_and_materialize_through_the_node_cache_reproduce_the_workspace()
    {
        var workspace = Directory.CreateDirectory(Path.Combine(folder, "workspace")).FullName;
        File.WriteAllText(Path.Combine(workspace, ".gitignore"), "out/\n");
        Directory.CreateDirectory(Path.Combine(workspace, "src"));
        Directory.CreateDirectory(Path.Combine(workspace, "out"));
        File.WriteAllBytes(Path.Combine(workspace, "src", "big.bin"), RandomBlob(150_000, 6).Content);
        File.WriteAllText(Path.Combine(workspace, "src", "a.cs"), "class A {}");
        File.WriteAllText(Path.Combine(workspace, "out", "ignored"), "x");
        var manifest = WorkspaceScanner.Scan(workspace);

        // What a submitter and the coordinator do: ask what is missing, send it in chunks.
        foreach (var hash in await store.MissingAsync(manifest.DistinctHashes()))
        {
            var content = File.ReadAllBytes(Path.Combine(workspace, manifest.Files.First(f => f.Hash == hash).Path));
            await using var upload = new BlobUpload(hash, content.Length, folder);
            for (var offset = 0; offset < content.Length; offset += BlobUpload.ChunkBytes)
                await upload.AppendAsync(offset, content.AsMemory(offset, Math.Min(BlobUpload.ChunkBytes, content.Length - offset)));
            await upload.CompleteAsync(store);
        }
        Assert.Empty(await store.MissingAsync(manifest.DistinctHashes()));
        var target = Path.Combine(folder, "node", "run-1");
        await WorkspaceMaterializer.MaterializeAsync(manifest, target, new NodeBlobCache(Path.Combine(folder, "node", "blobs"), store));

        Assert.Equal(File.ReadAllBytes(Path.Combine(workspace, "src", "big.bin")), File.ReadAllBytes(Path.Combine(target, "src", "big.bin")));
        Assert.Equal("class A {}", File.ReadAllText(Path.Combine(target, "src", "a.cs")));
        Assert.False(Directory.Exists(Path.Combine(target, "out")));
    }
}
