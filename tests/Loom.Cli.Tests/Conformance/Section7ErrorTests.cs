using System.Text;

namespace Loom.Cli.Tests.Conformance;

/// <summary>Spec §7: every problem reported as <c>file:line:col: error:</c>, and hostile input refused with a named limit.</summary>
public abstract class Section7ErrorTests(ConformanceCluster? cluster) : ConformanceTests(cluster)
{
    public sealed class Local() : Section7ErrorTests(null);

    [ClusterMode, Collection(ConformanceCluster.Collection)]
    public sealed class OnCluster(ConformanceCluster cluster) : Section7ErrorTests(cluster);

    private static string[] ErrorLines(string stderr) => stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Case]
    public async Task Every_problem_is_reported_at_its_position_not_only_the_first()
    {
        using var ws = NewWorkspace("""
            jobs:
              a:
                needs: c
                timeout-minutes: "5"
                steps:
                  - run: touch a.ran
              b:
                needs: [a, b]
                steps:
                  - name: no run here
              c:
                needs: a
                steps:
                  - run: x
                    run: y
            """);
        var (exit, _, stderr) = await ws.LoomAsync("run", "--plain");
        Assert.Equal(2, exit);
        var lines = ErrorLines(stderr);
        Assert.All(lines, line => Assert.Matches(@"^\.loom\.yml:\d+:\d+: error: ", line));
        Assert.Contains(lines, l => l.Contains("dependency cycle") && l.Contains("a -> c -> a"));
        Assert.Contains(lines, l => l.StartsWith(".loom.yml:4:") && l.Contains("timeout-minutes"));
        Assert.Contains(lines, l => l.StartsWith(".loom.yml:8:") && l.Contains("needs itself"));
        Assert.Contains(lines, l => l.StartsWith(".loom.yml:10:") && l.Contains("'run'"));
        Assert.Contains(lines, l => l.StartsWith(".loom.yml:15:") && l.Contains("duplicate key 'run'"));
        Assert.False(ws.Exists("a.ran"));
    }

    [Case]
    public async Task Errors_name_the_file_as_the_user_gave_it()
    {
        using var ws = NewWorkspace("jobs: { a: { steps: [ { run: 'true' } ] } }");
        Directory.CreateDirectory(ws.PathOf("ci/flows"));
        File.WriteAllText(ws.PathOf("ci/flows/build.yml"), "jobs:\n  a:\n    stepz: []\n");
        var (exit, _, stderr) = await ws.LoomAsync("run", "ci/flows/build.yml");
        Assert.Equal(2, exit);
        Assert.Contains("ci/flows/build.yml:3:5: error: unknown key 'stepz' in job 'a' (did you mean 'steps'?)", stderr);
    }

    [Case]
    public async Task Malformed_yaml_is_a_positioned_error()
    {
        using var ws = NewWorkspace("jobs:\n  a: [\n");
        var (exit, stdout, stderr) = await ws.LoomAsync("run");
        Assert.Equal(2, exit);
        Assert.Matches(@"^\.loom\.yml:\d+:\d+: error: ", stderr);
        Assert.DoesNotContain("   at ", stdout + stderr);
    }

    [Case]
    public async Task An_alias_bomb_is_refused_quickly_naming_the_limit()
    {
        var yaml = new StringBuilder("x-a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        var previous = 'a';
        foreach (var name in "bcdefghi")
        {
            yaml.Append($"x-{name}: &{name} [{string.Join(", ", Enumerable.Repeat($"*{previous}", 9))}]\n");
            previous = name;
        }
        yaml.Append("jobs:\n  a:\n    steps: [ { run: touch a.ran } ]\n");
        using var ws = NewWorkspace(yaml.ToString());
        var (exit, _, stderr) = await ws.LoomAsync("run");
        Assert.Equal(2, exit);
        Assert.Matches(@"\.loom\.yml:\d+:\d+: error: .*--max-alias-nodes", stderr);
        Assert.False(ws.Exists("a.ran"));
    }

    [Case]
    public async Task The_job_limit_counts_matrix_cells_and_can_be_raised_on_the_command_line()
    {
        using var ws = NewWorkspace("""
            jobs:
              m:
                strategy: { matrix: { n: [1, 2, 3] } }
                steps:
                  - run: touch "cell-${{ matrix.n }}"
            """);
        var (exit, _, stderr) = await ws.LoomAsync("run", "--max-jobs", "2");
        Assert.Equal(2, exit);
        Assert.Matches(@"\.loom\.yml:\d+:\d+: error: .*--max-jobs", stderr);
        Assert.False(ws.Exists("cell-1"));
        (exit, _, _) = await ws.LoomAsync("run", "--max-jobs", "3");
        Assert.Equal(0, exit);
        Assert.True(ws.Exists("cell-3"));
    }
}
