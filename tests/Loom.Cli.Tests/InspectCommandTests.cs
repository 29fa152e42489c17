using System.Text.Json;

namespace Loom.Cli.Tests;

public sealed class InspectCommandTests
{
    private const string Diamond = """
        jobs:
          restore:
            steps: [{ run: "true" }]
          build:
            needs: restore
            steps: [{ run: "true" }]
          lint:
            needs: restore
            steps: [{ run: "true" }]
          ship:
            needs: [build, lint]
            steps: [{ run: "true" }]
        """;

    [Fact]
    public async Task Validate_says_ok_for_a_valid_file()
    {
        using var ws = new Workspace(Diamond);
        var (exit, stdout, _) = await LoomProcess.RunAsync(ws.Root, "validate");
        Assert.Equal(0, exit);
        Assert.Contains(".loom.yml: ok (4 jobs)", stdout);
    }

    [Fact]
    public async Task Validate_and_list_take_skip_uses_and_warn_of_each_skipped_step()
    {
        using var ws = new Workspace("""
            jobs:
              build:
                steps:
                  - uses: actions/checkout@v4
                  - run: make
            """);
        var (refused, _, error) = await LoomProcess.RunAsync(ws.Root, "validate");
        Assert.Equal(2, refused);
        Assert.Contains("only 'run:' steps are supported", error);
        var (exit, stdout, stderr) = await LoomProcess.RunAsync(ws.Root, "validate", "--skip-uses");
        Assert.Equal(0, exit);
        Assert.Contains(".loom.yml: ok (1 jobs)", stdout);
        Assert.Contains(".loom.yml:4:9: warning: step 1 of job 'build' uses 'actions/checkout@v4': skipped (--skip-uses)", stderr);
        var (listed, _, _) = await LoomProcess.RunAsync(ws.Root, "list", "--skip-uses");
        Assert.Equal(0, listed);
    }

    [Fact]
    public async Task Validate_reports_a_cycle_by_its_path()
    {
        using var ws = new Workspace("""
            jobs:
              a: { needs: b, steps: [{ run: "true" }] }
              b: { needs: a, steps: [{ run: "true" }] }
            """, "cyclic.yml");
        var (exit, _, stderr) = await LoomProcess.RunAsync(ws.Root, "validate", "cyclic.yml");
        Assert.Equal(2, exit);
        Assert.Matches(@"cyclic\.yml:\d+:\d+: error: dependency cycle: (a -> b -> a|b -> a -> b)", stderr);
    }

    [Fact]
    public async Task List_shows_jobs_in_run_order_with_needs()
    {
        using var ws = new Workspace(Diamond);
        var (exit, stdout, _) = await LoomProcess.RunAsync(ws.Root, "list", "--json");
        Assert.Equal(0, exit);
        var jobs = JsonDocument.Parse(stdout).RootElement.GetProperty("jobs").EnumerateArray().ToList();
        Assert.Equal(["restore", "build", "lint", "ship"], jobs.Select(j => j.GetProperty("id").GetString()));
        Assert.Equal(["build", "lint"], jobs[3].GetProperty("needs").EnumerateArray().Select(n => n.GetString()));
    }

    [Theory]
    [InlineData("mermaid", "flowchart LR")]
    [InlineData("dot", "digraph")]
    [InlineData("ascii", "restore")]
    public async Task Graph_renders_each_format(string format, string expected)
    {
        using var ws = new Workspace(Diamond);
        var (exit, stdout, _) = await LoomProcess.RunAsync(ws.Root, "graph", "--format", format);
        Assert.Equal(0, exit);
        Assert.Contains(expected, stdout);
    }

    [Theory]
    [InlineData("run")]
    [InlineData("validate")]
    [InlineData("list")]
    [InlineData("graph")]
    public async Task Every_command_has_help(string command)
    {
        using var ws = new Workspace(Diamond);
        var (exit, stdout, _) = await LoomProcess.RunAsync(ws.Root, command, "--help");
        Assert.Equal(0, exit);
        Assert.StartsWith($"Usage: loom {command}", stdout);
    }
}
