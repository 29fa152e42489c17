namespace Loom.Cli.Tests;

/// <summary>What a step sees of the run: secrets only where mapped, job.status after a timeout, the strategy of a plain job.</summary>
public sealed class StepIsolationTests
{
    [Fact]
    public async Task LOOM_SECRET_variables_reach_a_step_only_through_secrets()
    {
        using var ws = new Workspace("""
            jobs:
              a:
                steps:
                  - run: env | grep -c '^LOOM_SECRET_' > leaked.txt || true
                  - env: { TOKEN: "${{ secrets.API }}" }
                    run: test "$TOKEN" = "hunter22" && touch mapped
            """);
        using var loom = LoomProcess.Start(ws.Root, new Dictionary<string, string> { ["LOOM_SECRET_API"] = "hunter22" }, "run", "--plain");
        Assert.Equal(0, await loom.WaitAsync());
        Assert.Equal("0", ws.Read("leaked.txt").Trim());
        Assert.True(ws.Exists("mapped"));
    }

    [Fact]
    public async Task A_nodes_own_settings_never_reach_a_step()
    {
        // Loom__Node__Db carries the cluster database's password on a `loom serve` node.
        using var ws = new Workspace("""
            jobs:
              a:
                steps:
                  - run: env | grep -ci '^loom__' > leaked.txt || true
            """);
        using var loom = LoomProcess.Start(ws.Root, new Dictionary<string, string> { ["Loom__Node__Db"] = "Host=db;Password=hunter22", ["LOOM__NODE__CAPACITY"] = "2" }, "run", "--plain");
        Assert.Equal(0, await loom.WaitAsync());
        Assert.Equal("0", ws.Read("leaked.txt").Trim());
    }

    [Fact]
    public async Task After_a_job_timeout_job_status_is_cancelled_for_the_steps_that_still_run()
    {
        using var ws = new Workspace("""
            jobs:
              slow:
                timeout-minutes: 0.01
                steps:
                  - run: sleep 30
                  - if: always()
                    run: echo "${{ job.status }}" > status.txt
            """);
        var (exit, stdout, _) = await LoomProcess.RunAsync(ws.Root, "run", "--plain");
        Assert.Equal(1, exit);
        Assert.Equal("cancelled", ws.Read("status.txt").Trim());
        Assert.Contains("job timed out", stdout);
    }

    [Fact]
    public async Task A_job_without_a_matrix_is_one_job_of_one_and_its_name_is_shown()
    {
        using var ws = new Workspace("""
            jobs:
              solo:
                name: Solo ${{ strategy.job-total }}
                steps:
                  - run: echo "${{ strategy.job-index }}/${{ strategy.job-total }}/${{ strategy.fail-fast }}" > strategy.txt
            """);
        var (exit, stdout, _) = await LoomProcess.RunAsync(ws.Root, "run", "--plain");
        Assert.Equal(0, exit);
        Assert.Equal("0/1/true", ws.Read("strategy.txt").Trim());
        Assert.Contains("[solo] started: Solo 1", stdout);
    }
}
