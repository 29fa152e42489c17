using System.Text;
using Loom.Core.Workspaces;

namespace Loom.Core.Tests.Workspaces;

public sealed class WorkspaceManifestTests
{
    private static readonly WorkspaceManifest Sample = new(
        [
            new ManifestFile("src/b.cs", BlobHash.Of("b"u8), 1, false),
            new ManifestFile("src/a.cs", BlobHash.Of("a"u8), 1, false),
            new ManifestFile("run.sh", BlobHash.Of("#!"u8), 2, true),
            new ManifestFile("docs/é/ü.md", BlobHash.Empty, 0, false),
            new ManifestFile("big", BlobHash.Of("b"u8), 5_000_000_000, false),
        ],
        [new ManifestLink("latest", "src"), new ManifestLink("out", "/tmp/out")],
        ["tmp/cache", "empty"]);

    [Fact]
    public void Bytes_round_trip_with_entries_sorted()
    {
        var back = WorkspaceManifest.FromBytes(Sample.ToBytes());

        Assert.Equal(Sample.Files.OrderBy(f => f.Path, StringComparer.Ordinal), back.Files);
        Assert.Equal(Sample.Links, back.Links);
        Assert.Equal(["empty", "tmp/cache"], back.Folders);
        Assert.Equal(Sample.TotalBytes, back.TotalBytes);
    }

    [Fact]
    public void The_same_entries_give_the_same_bytes_whatever_their_order()
    {
        var reordered = new WorkspaceManifest(Sample.Files.Reverse().ToArray(), Sample.Links.Reverse().ToArray(), Sample.Folders.Reverse().ToArray());

        Assert.Equal(Sample.ToBytes(), reordered.ToBytes());
    }

    [Fact]
    public void Shared_path_prefixes_keep_it_compact()
    {
        var files = Enumerable.Range(0, 1000)
            .Select(i => new ManifestFile($"src/Loom.Core/Expressions/File{i:D4}.cs", BlobHash.Of(Encoding.UTF8.GetBytes(i.ToString())), 4000 + i, false))
            .ToArray();

        var bytes = new WorkspaceManifest(files, [], []).ToBytes();

        Assert.True(bytes.Length < 1000 * 42, $"{bytes.Length} bytes");
        Assert.Equal(files, WorkspaceManifest.FromBytes(bytes).Files);
    }

    [Fact]
    public void Distinct_hashes_name_each_content_once() =>
        Assert.Equal(4, Sample.DistinctHashes().Count);

    [Fact]
    public void Truncated_or_damaged_bytes_are_refused_as_invalid_data()
    {
        var bytes = Sample.ToBytes();
        for (var length = 0; length < bytes.Length; length++)
            Assert.Throws<InvalidDataException>(() => WorkspaceManifest.FromBytes(bytes.AsSpan(0, length)));
        Assert.Throws<InvalidDataException>(() => WorkspaceManifest.FromBytes([.. bytes, 0]));
        var random = new Random(5);
        for (var i = 0; i < 2000; i++)
        {
            var damaged = bytes.ToArray();
            damaged[random.Next(damaged.Length)] = (byte)random.Next(256);
            try
            {
                WorkspaceManifest.FromBytes(damaged); // some damage is still a manifest: the materializer checks paths
            }
            catch (InvalidDataException)
            {
            }
        }
    }
}
