using System.Collections;
using System.Text.RegularExpressions;
using Loom.Actors.Execution;

namespace Loom.Actors.Tests.Execution;

public sealed partial class FastPathTests
{
    [Theory]
    [InlineData("ls", new[] { "ls" })]
    [InlineData("  make  -j4\tall ", new[] { "make", "-j4", "all" })]
    [InlineData("dotnet test tests/Loom.Actors.Tests --no-build\n", new[] { "dotnet", "test", "tests/Loom.Actors.Tests", "--no-build" })]
    [InlineData("./build.sh --fast", new[] { "./build.sh", "--fast" })]
    [InlineData("sleep 0.2", new[] { "sleep", "0.2" })]
    [InlineData("git commit -m wip!", new[] { "git", "commit", "-m", "wip!" })]
    [InlineData("true", new[] { "true" })]
    [InlineData("false", new[] { "false" })]
    public void Plain_words_are_started_directly(string run, string[] argv)
    {
        Assert.True(FastPath.TryParse(run, out var parsed));
        Assert.Equal(argv, parsed);
    }

    [Theory]
    [InlineData("echo 'quoted'")]
    [InlineData("echo \"quoted\"")]
    [InlineData("echo $HOME")]
    [InlineData("echo `date`")]
    [InlineData("echo a\\ b")]
    [InlineData("ls | wc")]
    [InlineData("sleep 1 &")]
    [InlineData("ls; ls")]
    [InlineData("ls > out")]
    [InlineData("cat < in")]
    [InlineData("(ls)")]
    [InlineData("{ ls; }")]
    [InlineData("ls *.cs")]
    [InlineData("ls ?.cs")]
    [InlineData("ls [ab].cs")]
    [InlineData("ls ~")]
    [InlineData("ls # comment")]
    [InlineData("CC=gcc make")]
    [InlineData("make CC=gcc")]
    [InlineData("ls\nls")]
    [InlineData("")]
    [InlineData("  \n")]
    public void Anything_a_shell_would_interpret_goes_to_the_shell(string run) =>
        Assert.False(FastPath.TryParse(run, out _));

    [Theory]
    [InlineData("cd src")]
    [InlineData("export A")]
    [InlineData("echo hi")]
    [InlineData("printf hi")]
    [InlineData("pwd")]
    [InlineData("kill 1")]
    [InlineData("test -d src")]
    [InlineData("exec ls")]
    [InlineData("exit 3")]
    [InlineData("source env.sh")]
    [InlineData(". env.sh")]
    [InlineData("time make")]
    [InlineData("if")]
    [InlineData("chdir src")]
    [InlineData("true --help")]
    [InlineData("false x")]
    public void Keywords_and_builtins_go_to_the_shell(string run) =>
        Assert.False(FastPath.TryParse(run, out _));

    [Fact]
    public void Every_bash_keyword_and_builtin_is_known()
    {
        var listed = Bash("compgen -k; compgen -b");

        Assert.Empty(listed.Except(FastPath.ShellWords));
    }

    [Theory]
    [InlineData("/usr/bin/true", true)]
    [InlineData("/bin/false", true)]
    [InlineData("/home/me/bin/true", false)]
    public void True_and_false_stand_in_for_the_builtins_only_from_the_system_folders(string program, bool trusted) =>
        Assert.Equal(trusted, FastPath.IsTrustedTwin([Path.GetFileName(program)], program));

    public static TheoryData<string, string?> Commands => new()
    {
        { "env", null },
        { "env", "bash" },
        { "env", "sh" },
        { "printenv LOOM_FAST", null },
        { "printenv NOT_SET_ANYWHERE", null },
        { "ls /nonexistent", null },
        { "ls -d /nonexistent/a /nonexistent/b", "sh" },
        { "/bin/false", null },
        { "false", null },
        { "true", "bash" },
        { "seq 3", null },
        { "readlink -f .", null },
        { "nosuch-command-7e4", null },
        { "nosuch-command-7e4", "sh" },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task The_fast_path_gives_what_the_shell_gives(string run, string? shell)
    {
        var env = ProcessEnvironment();
        env["LOOM_FAST"] = "x y";
        env["1INVALID"] = "dash drops this";
        using var directory = new Steps.TempDirectory();

        var direct = await Steps.RunAsync(run, shell, directory.Path, env, fastPath: true);
        var viaShell = await Steps.RunAsync(run, shell, directory.Path, env, fastPath: false);

        Assert.Equal(viaShell.Exit.ExitCode, direct.Exit.ExitCode);
        Assert.Equal(Normalize(run, viaShell.Lines), Normalize(run, direct.Lines));
    }

    [Theory]
    [InlineData("/", null)]
    [InlineData("/", "5")]
    [InlineData("/", "abc")]
    [InlineData("link", " 7")]
    [InlineData("target", "-3")]
    public async Task The_fast_path_gives_the_shells_PWD_SHLVL_and_OLDPWD(string inheritedPwd, string? shellLevel)
    {
        using var directory = new Steps.TempDirectory();
        var root = directory.Path;
        var target = Directory.CreateDirectory(Path.Combine(root, "target")).FullName;
        var link = Path.Combine(root, "link");
        File.CreateSymbolicLink(link, target);
        var env = Steps.Environment(("OLDPWD", "/nonexistent"), ("PWD", inheritedPwd == "/" ? "/" : Path.Combine(root, inheritedPwd)));
        if (shellLevel is not null)
            env["SHLVL"] = shellLevel;

        foreach (var shell in new[] { null, "sh" })
        {
            var direct = await Steps.RunAsync("env", shell, link, env, fastPath: true);
            var viaShell = await Steps.RunAsync("env", shell, link, env, fastPath: false);
            Assert.Equal(Normalize("env", viaShell.Lines), Normalize("env", direct.Lines));
        }
    }

    [Theory]
    [InlineData("BASH_ENV", "/dev/null")]
    [InlineData("BASH_FUNC_ls%%", "() { echo function; }")]
    [InlineData("SHLVL", "999")]
    public void What_bash_would_do_more_than_run_the_program_keeps_the_shell(string name, string value)
    {
        var env = Steps.Environment((name, value));

        Assert.Null(FastPath.ShellEnvironment(ShellFlavor.Bash, env, "/", "/usr/bin/ls"));
    }

    [Fact]
    public async Task An_exported_function_shadowing_the_program_still_runs()
    {
        var env = Steps.Environment(("BASH_FUNC_seq%%", "() { echo function; }"));

        var result = await Steps.RunAsync("seq 2", shell: "bash", env: env);

        Assert.Equal(["function"], result.Lines);
    }

    [Theory]
    [InlineData("sleep 5", null, "sleep")]
    [InlineData("sleep 5", "bash", "sleep")]
    [InlineData("sleep 5", "sh", "sleep")]
    [InlineData("sleep 5;", null, "bash")]
    [InlineData("sleep 5", "bash -e {0}", "bash")]
    public async Task Only_plain_commands_under_bash_or_sh_skip_the_shell(string run, string? shell, string leader)
    {
        await using var step = StepProcess.Start(Steps.Launch(run, shell), _ => { });

        // posix_spawn returns while exec still runs in the child: until then it has Loom's thread name.
        string Comm() => File.ReadAllText($"/proc/{step.Identity!.Value.Pid}/comm").Trim();
        await Steps.EventuallyAsync(() => Comm() is "sleep" or "bash", "the exec to finish");

        Assert.Equal(leader, Comm());
    }

    private static Dictionary<string, string> ProcessEnvironment()
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
            env[(string)entry.Key] = (string?)entry.Value ?? "";
        return env;
    }

    // env's order is the shell's hash order; a missing command's message names the random script.
    private static List<string> Normalize(string run, List<string> lines) =>
        (run == "env" ? lines.Order(StringComparer.Ordinal) : lines.AsEnumerable())
            .Select(line => ScriptPath().Replace(line, "<script>"))
            .ToList();

    private static List<string> Bash(string command)
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("bash", ["-c", command]) { RedirectStandardOutput = true })!;
        var lines = process.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
        process.WaitForExit();
        return lines;
    }

    [GeneratedRegex(@"/[^ :]*/[0-9a-f]{16}\.sh")]
    private static partial Regex ScriptPath();
}
