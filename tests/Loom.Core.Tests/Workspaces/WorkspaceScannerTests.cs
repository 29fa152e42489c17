using System.Diagnostics;
using System.Runtime.Versioning;
using System.Text;
using Loom.Core.Workspaces;

namespace Loom.Core.Tests.Workspaces;

/// <summary><see cref="WorkspaceScanner"/> on real trees; what it sends is checked against <c>git ls-files -co --exclude-standard</c>.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class WorkspaceScannerTests : IDisposable
{
    private readonly WorkspaceTree tree = new();

    public void Dispose() => tree.Dispose();

    [Fact]
    public void Files_are_listed_sorted_with_hash_size_and_executable_bit()
    {
        tree.Write("b.txt", "bee").Write("a/script.sh", "#!/bin/sh\n").Write("empty", "");
        File.SetUnixFileMode(tree.PathOf("a/script.sh"), WorkspaceTree.Executable);

        var manifest = WorkspaceScanner.Scan(tree.Root);

        Assert.Equal(
            [
                new ManifestFile("a/script.sh", BlobHash.Of("#!/bin/sh\n"u8), 10, true),
                new ManifestFile("b.txt", BlobHash.Of("bee"u8), 3, false),
                new ManifestFile("empty", BlobHash.Empty, 0, false),
            ],
            manifest.Files);
        Assert.Equal(13, manifest.TotalBytes);
        Assert.Empty(manifest.Links);
    }

    [Fact]
    public void What_gitignore_excludes_is_not_sent_and_the_rest_matches_git()
    {
        tree.Write(".gitignore", "*.o\n!keep.o\nbuild/\n/only-root\nlogs/*\n!logs/important.log\n**/gen/\n")
            .Write("src/.gitignore", "*.tmp\n!wanted.tmp\n")
            .Write("a.o", "x").Write("keep.o", "x").Write("build/out.bin", "x").Write("src/build/deep.txt", "x")
            .Write("only-root", "x").Write("src/only-root", "x").Write("logs/a.log", "x").Write("logs/important.log", "x")
            .Write("src/gen/g.cs", "x").Write("src/a.tmp", "x").Write("src/wanted.tmp", "x").Write("a.tmp", "x")
            .Write("src/main.cs", "x").Write("README", "x");
        Git("init", "-q");
        Git("add", "README", "src/main.cs"); // tracked and untracked files alike
        tree.Write(".git/info/exclude", "*.secret\n").Write("x.secret", "x");

        var sent = WorkspaceScanner.Scan(tree.Root).Files.Select(f => f.Path);

        var gitWouldSend = Git("ls-files", "-co", "--exclude-standard").Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal);
        Assert.Equal(gitWouldSend, sent);
        Assert.Contains("keep.o", sent);
        Assert.DoesNotContain("src/build/deep.txt", sent);
    }

    [Fact]
    public void Git_loom_and_node_folders_are_never_sent_at_any_depth()
    {
        tree.Write(".git/config", "x").Write(".loom/journal.db", "x").Write(".loom-node/blobs/ab", "x")
            .Write("sub/.loom/runs/x", "x").Write("sub/.loom-node/y", "x").Write("sub/kept", "x");

        Assert.Equal(["sub/kept"], WorkspaceScanner.Scan(tree.Root).Files.Select(f => f.Path));
    }

    [Fact]
    public void Folders_that_hold_nothing_sent_are_listed_and_the_folders_above_them_implied()
    {
        tree.Write(".gitignore", "build/\n*.log\n").Write("src/a.cs", "x").Write("logs/run.log", "x").Write("build/out", "x")
            .Write(".loom/journal.db", "x").Link("link-holder/to-src", "../src");
        foreach (var folder in new[] { "empty", "deep/er/est", "src/sub", "tmp/build", "node/.git/objects", "ignored.log" })
            Directory.CreateDirectory(tree.PathOf(folder));

        var manifest = WorkspaceScanner.Scan(tree.Root);

        // "logs" holds only an ignored file and "tmp" only an ignored folder; ".loom" and ".git" never go.
        Assert.Equal(["deep/er/est", "empty", "logs", "node", "src/sub", "tmp"], manifest.Folders);
        Assert.Equal(new[] { ".gitignore", "src/a.cs" }, manifest.Files.Select(f => f.Path));
    }

    [Fact]
    public void Links_are_kept_as_links_and_never_followed()
    {
        var outside = Directory.CreateTempSubdirectory("loom-outside-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(outside, "big"), "outside");
            tree.Write("real/file", "x").Link("to-file", "real/file").Link("to-folder", "real").Link("out", outside).Link("dangling", "nowhere");

            var manifest = WorkspaceScanner.Scan(tree.Root);

            Assert.Equal(["real/file"], manifest.Files.Select(f => f.Path));
            Assert.Equal(
                [new ManifestLink("dangling", "nowhere"), new ManifestLink("out", outside), new ManifestLink("to-file", "real/file"), new ManifestLink("to-folder", "real")],
                manifest.Links);
        }
        finally
        {
            Directory.Delete(outside, recursive: true);
        }
    }

    [Fact]
    public void An_ignored_link_is_not_sent()
    {
        tree.Write(".gitignore", "node_modules\n").Write("lib/x", "x").Link("node_modules", "lib");

        Assert.Empty(WorkspaceScanner.Scan(tree.Root).Links);
    }

    [Fact]
    public void A_fifo_is_taken_for_an_empty_file_without_blocking()
    {
        using (var mkfifo = Process.Start("mkfifo", tree.PathOf("pipe")))
            mkfifo.WaitForExit();

        Assert.Equal([new ManifestFile("pipe", BlobHash.Empty, 0, false)], WorkspaceScanner.Scan(tree.Root).Files);
    }

    [Fact]
    public void Above_the_limit_the_error_names_the_total_the_limit_and_the_biggest_files()
    {
        tree.Write("data/huge.bin", new byte[3000]).Write("data/big.bin", new byte[2000]).Write("small", new byte[10]);
        for (var i = 0; i < 6; i++)
            tree.Write($"f{i}", new byte[100 + i]);

        var error = Assert.Throws<WorkspaceTooLargeException>(() => WorkspaceScanner.Scan(tree.Root, maxTotalBytes: 4096));

        Assert.Equal(5625, error.TotalBytes);
        Assert.Equal(4096, error.LimitBytes);
        Assert.Equal(
            "the workspace is 5.5 KiB in 9 files, above the limit of 4.0 KiB for a cluster run; the biggest: data/huge.bin (2.9 KiB), " +
            "data/big.bin (2.0 KiB), f5 (105 B), f4 (104 B), f3 (103 B). Add what the jobs do not need to .gitignore, or raise the limit",
            error.Message);
    }

    [Fact]
    public void Exactly_the_limit_is_allowed_and_ignored_files_do_not_count()
    {
        tree.Write(".gitignore", "*.iso\n").Write("disk.iso", new byte[10_000]).Write("a", new byte[4096 - 6]);

        Assert.Equal(4096, WorkspaceScanner.Scan(tree.Root, maxTotalBytes: 4096).TotalBytes);
    }

    [Fact]
    public void The_default_limit_is_256_MiB() => Assert.Equal(256L * 1024 * 1024, WorkspaceScanner.DefaultMaxTotalBytes);

    private string Git(params string[] arguments)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = tree.Root, RedirectStandardOutput = true, RedirectStandardError = true, StandardOutputEncoding = Encoding.UTF8 };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        start.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        start.Environment["HOME"] = tree.Root; // no user excludesFile
        using var git = Process.Start(start)!;
        var output = git.StandardOutput.ReadToEnd();
        git.WaitForExit();
        Assert.True(git.ExitCode == 0, git.StandardError.ReadToEnd());
        return output;
    }
}
