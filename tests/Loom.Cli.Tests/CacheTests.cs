namespace Loom.Cli.Tests;

/// <summary><c>cache: true</c> with the real <c>loom</c>: hits, restores, misses for the right reasons, and the cache commands.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // file modes as Unix has them
public sealed class CacheTests
{
    // `gen` is not cached and writes a file `build` reads: build's key is computed after gen ran.
    private const string Yaml = """
        jobs:
          gen:
            steps:
              - run: mkdir -p src && cp gen.input src/gen.txt
          build:
            needs: gen
            cache: true
            inputs: ["src/**"]
            produces: ["out/**"]
            outputs: { digest: "${{ steps.b.outputs.digest }}" }
            steps:
              - id: b
                run: |
                  echo ran >> build.count
                  mkdir -p out && cat src/*.txt > out/app.bin && chmod +x out/app.bin
                  echo "digest=$(md5sum < out/app.bin | cut -c1-8)" >> "$LOOM_OUTPUT"
          use:
            needs: build
            steps:
              - run: echo "${{ needs.build.outputs.digest }}" >> use.log
        """;

    private static int Count(Workspace ws) => ws.Read("build.count").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;

    private static async Task<string> RunAsync(Workspace ws, params string[] extra)
    {
        var (exit, stdout, stderr) = await LoomProcess.RunAsync(ws.Root, ["run", "--plain", .. extra]);
        Assert.True(exit == 0, stdout + stderr);
        return stdout;
    }

    [Fact]
    public async Task A_cached_job_is_restored_until_what_it_depends_on_changes()
    {
        using var ws = new Workspace(Yaml);
        File.WriteAllText(ws.PathOf("gen.input"), "one\n");
        Directory.CreateDirectory(ws.PathOf("src"));
        File.WriteAllText(ws.PathOf("src/a.txt"), "a\n");

        await RunAsync(ws);
        Assert.Equal(1, Count(ws));
        var hit = await RunAsync(ws);
        Assert.Equal(1, Count(ws));
        Assert.Matches(@"\[build\] cached \(from run \S+\)", hit);
        var digests = ws.Read("use.log").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, digests.Length);
        Assert.Equal(digests[0], digests[1]);

        // A produced file deleted since comes back, with its executable bit.
        File.Delete(ws.PathOf("out/app.bin"));
        await RunAsync(ws);
        Assert.Equal(1, Count(ws));
        Assert.Equal("a\none\n", ws.Read("out/app.bin"));
        Assert.True(File.GetUnixFileMode(ws.PathOf("out/app.bin")).HasFlag(UnixFileMode.UserExecute));

        // A file outside its inputs changes nothing; a need that rewrites an input differently does.
        File.WriteAllText(ws.PathOf("README"), "unrelated");
        await RunAsync(ws);
        Assert.Equal(1, Count(ws));
        File.WriteAllText(ws.PathOf("gen.input"), "two\n");
        await RunAsync(ws);
        Assert.Equal(2, Count(ws));
        Assert.Equal("a\ntwo\n", ws.Read("out/app.bin"));

        // An input edited by hand, and --no-cache, run it again.
        File.WriteAllText(ws.PathOf("src/a.txt"), "b\n");
        await RunAsync(ws);
        Assert.Equal(3, Count(ws));
        await RunAsync(ws, "--no-cache");
        Assert.Equal(4, Count(ws));
        await RunAsync(ws);
        Assert.Equal(4, Count(ws));
    }

    [Fact]
    public async Task Cache_ls_lists_the_entries_and_clear_empties_the_cache()
    {
        using var ws = new Workspace(Yaml);
        File.WriteAllText(ws.PathOf("gen.input"), "one\n");
        await RunAsync(ws);

        var (lsExit, ls, _) = await LoomProcess.RunAsync(ws.Root, "cache", "ls");
        Assert.Equal(0, lsExit);
        Assert.Matches(@"build\s+[0-9a-f]{12}\s+1\s", ls);
        Assert.Contains("1 entry", ls);

        var (clearExit, clear, _) = await LoomProcess.RunAsync(ws.Root, "cache", "clear");
        Assert.Equal(0, clearExit);
        Assert.Contains("removed 1 cache entry", clear);
        await RunAsync(ws);
        Assert.Equal(2, Count(ws));

        var (bad, _, badErr) = await LoomProcess.RunAsync(ws.Root, "cache", "purge");
        Assert.Equal(2, bad);
        Assert.Contains("'ls' or 'clear'", badErr);
    }
}
