namespace Loom.Cli.Tests;

/// <summary>An existing GitHub Actions workflow runs as it is: the example under docs/examples/github-actions.</summary>
public sealed class GitHubWorkflowTests
{
    private static string Example => Path.Combine(RepositoryRoot(), "docs", "examples", "github-actions", ".github", "workflows", "ci.yml");

    [Fact]
    public async Task A_uses_step_is_refused_naming_the_step_unless_skip_uses()
    {
        using var ws = Copy();
        var (exit, _, stderr) = await LoomProcess.RunAsync(ws.Root, "run", ".github/workflows/ci.yml");
        Assert.Equal(2, exit);
        Assert.Contains(".github/workflows/ci.yml:19:9: error: step 1 of job 'plan' uses 'actions/checkout@v4': only 'run:' steps are supported", stderr);
    }

    [Fact]
    public async Task With_skip_uses_the_run_steps_run_from_the_repository_root_with_the_matrix_from_an_output()
    {
        using var ws = Copy();
        var (exit, stdout, stderr) = await LoomProcess.RunAsync(ws.Root, "run", ".github/workflows/ci.yml", "--skip-uses", "--plain");
        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains("warning: step 1 of job 'plan' uses 'actions/checkout@v4': skipped (--skip-uses)", stderr);
        // The workspace is the repository root, not .github/workflows.
        Assert.StartsWith("Release build for linux-x64 at ", ws.Read("out/linux-x64.txt"));
        Assert.True(ws.Exists("out/linux-arm64.txt"));
        Assert.Contains("[report] build: success", stdout);
        Assert.Contains("[report] cells: linux-x64, linux-arm64", stdout);
        Assert.Contains("### Built linux-arm64", stdout);
    }

    private static Workspace Copy()
    {
        var ws = new Workspace("jobs: {}", "unused.yml");
        var target = Path.Combine(ws.Root, ".github", "workflows");
        Directory.CreateDirectory(target);
        File.Copy(Example, Path.Combine(target, "ci.yml"));
        return ws;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Loom.Actors.sln")))
                return dir.FullName;
        throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }
}
