using System.Diagnostics;
using System.Text;
using Loom.Core.Watching;

namespace Loom.Core.Tests.Watching;

/// <summary>
/// <see cref="IgnoreRules"/> against the oracle, <c>git check-ignore</c>, on a generated tree of tricky patterns: every
/// file and folder of the tree must get git's verdict.
/// </summary>
public sealed class IgnoreRulesTests : IDisposable
{
    private static readonly string[] RootRules =
    [
        "# a comment, then a blank line",
        "",
        "*.o",
        "!keep.o",
        @"\#hash",
        @"\!bang",
        "build/",
        "!build/keep/",
        "!build/keep.txt",
        "/logs/*",
        "!/logs/important.log",
        "doc/*.txt",
        "**/gen/",
        "foo/**/bar",
        "deep/**",
        "!deep/x/again",
        "file[0-9]",
        "name[!a-c]x",
        "a?c",
        @"trail\ ",
        "spaced   ",
        "x/**/y?",
        "**/*.tmp",
        "out/",
        "[[:digit:]]*.num",
        "*.[ch]",
        "!*.h",
        "nested/**/leaf/",
        "/only-root",
        "sub/dir/anchored",
        "br[]x]",
        "unclosed[",
        "weird**name",
        "**.log",
        "r[a-c-e]ng",
        "esc\\*star",
    ];

    private static readonly string[] SrcRules = ["!*.o", "/local", "*.cs", "!important.cs", "sub/deeper", "!z.excluded"];

    private static readonly string[] NestedRules = ["c/", "*", "!*/", "!*.keep"];

    private static readonly string[] Files =
    [
        "keep.o", "a.o", "src/b.o", "src/keep.o", "src/c.c", "src/c.h", "#hash", "!bang", "build/x", "build/keep/y",
        "build/keep.txt", "logs/a.txt", "logs/important.log", "logs/sub/z", "doc/a.txt", "doc/sub/b.txt", "doc/c.md",
        "src/gen/g.cs", "gen/h.md", "a/gen", "foo/bar", "foo/a/bar", "foo/a/b/bar", "foo/barx", "deep/x/y", "deep/x/again",
        "deep/z", "file1", "file12", "fileA", "namedx", "namezx", "namebx", "abc", "a/c", "axc", "trail ", "trail", "spaced",
        "x/y1", "x/a/b/y2", "x/yy/z", "t/q.tmp", "q.tmp", "out", "sub2/out/f", "1.num", "a1.num", "nested/leaf/f",
        "nested/a/leaf/f", "nested/leafy/f", "only-root", "src/only-root", "sub/dir/anchored", "q/sub/dir/anchored",
        "brx", "br]x", "bry", "unclosed[", "weirdXname", "weirdX/name", "app.log", "src/local", "src/x/local", "src/a.cs",
        "src/important.cs", "src/gen/important.cs", "src/sub/deeper/f", "src/q/sub/deeper", "z.excluded", "src/z.excluded",
        "a/b/c/f", "a/b/important", "a/b/z.keep", "a/b/d/e.keep", "a/b/d/other", "rang", "reng", "r-ng", "rdng",
        "esc*star", "escXstar", "plain.txt",
    ];

    private readonly string root = Directory.CreateTempSubdirectory("loom-ignore-").FullName;

    public IgnoreRulesTests()
    {
        Git("init", "-q");
        Write(".gitignore", RootRules);
        Write("src/.gitignore", SrcRules);
        Write("a/b/.gitignore", NestedRules);
        Write(".git/info/exclude", ["*.excluded"]);
        foreach (var file in Files)
            Write(file, ["x"]);
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void Every_path_of_the_tree_gets_git_check_ignores_verdict()
    {
        var paths = Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(root, p).Replace('\\', '/'))
            .Where(p => p != ".git" && !p.StartsWith(".git/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();
        var ignoredByGit = CheckIgnore(paths);
        var rules = IgnoreRules.Load(root);

        var disagreements = paths
            .Where(p => rules.IsIgnored(p, Directory.Exists(Path.Combine(root, p))) != ignoredByGit.Contains(p))
            .Select(p => $"'{p}': git says {(ignoredByGit.Contains(p) ? "ignored" : "not ignored")}")
            .ToList();

        Assert.True(disagreements.Count == 0, string.Join("\n", disagreements));
        Assert.True(ignoredByGit.Count > 30, "the table should exercise both verdicts");
    }

    [Theory]
    [InlineData(".git", true)]
    [InlineData(".git/HEAD", false)]
    [InlineData(".loom", true)]
    [InlineData(".loom/runs/latest", false)]
    [InlineData("sub/.git", true)]
    public void Git_and_loom_folders_are_always_ignored(string path, bool isDirectory)
    {
        File.WriteAllText(Path.Combine(root, ".gitignore"), "!.loom/\n");
        Assert.True(IgnoreRules.Load(root).IsIgnored(path, isDirectory));
    }

    [Fact]
    public void A_changed_gitignore_is_read_again_after_refresh()
    {
        var rules = IgnoreRules.Load(root);
        Assert.False(rules.IsIgnored("plain.txt", isDirectory: false));

        File.AppendAllText(Path.Combine(root, ".gitignore"), "plain.txt\n");
        Assert.False(rules.IsIgnored("plain.txt", isDirectory: false)); // still the rules read before
        Assert.True(rules.Refresh(".gitignore"));
        Assert.True(rules.IsIgnored("plain.txt", isDirectory: false));

        Assert.False(rules.Refresh("src/a.cs"));
    }

    private void Write(string relativePath, string[] lines)
    {
        var path = Path.Combine(root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, string.Join('\n', lines) + "\n");
    }

    /// <summary>The paths git ignores; -z so names with spaces and quotes pass unquoted.</summary>
    private HashSet<string> CheckIgnore(IEnumerable<string> paths)
    {
        var output = Git(["-c", $"core.excludesFile={Path.Combine(root, ".git", "no-global-excludes")}", "check-ignore", "--no-index", "-z", "--stdin"],
            string.Join('\0', paths) + "\0", acceptedExitCodes: [0, 1]);
        return output.Split('\0', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
    }

    private string Git(params string[] arguments) => Git(arguments, "", [0]);

    private string Git(string[] arguments, string input, int[] acceptedExitCodes)
    {
        var start = new ProcessStartInfo("git")
        {
            WorkingDirectory = root,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardInputEncoding = new UTF8Encoding(false),
        };
        // No user or system configuration: only the tree's own rules count.
        start.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        start.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var git = Process.Start(start)!;
        git.StandardInput.Write(input);
        git.StandardInput.Close();
        var output = git.StandardOutput.ReadToEndAsync();
        var errors = git.StandardError.ReadToEnd();
        git.WaitForExit();
        Assert.True(acceptedExitCodes.Contains(git.ExitCode), $"git {string.Join(' ', arguments)} exited {git.ExitCode}: {errors}");
        return output.Result;
    }
}
