namespace Loom.Cli.Tests;

public sealed class WhyCommandTests
{
    [Fact]
    public async Task Follows_a_three_level_skip_chain_down_to_the_failed_step()
    {
        using var ws = new Workspace("""
            jobs:
              build:
                steps:
                  - run: echo fine
                  - name: compile
                    run: exit 3
              test:
                needs: build
                steps: [{ run: touch test-ran }]
              package:
                needs: test
                steps: [{ run: touch package-ran }]
              deploy:
                needs: package
                steps: [{ run: touch deploy-ran }]
            """);
        var (exit, _, _) = await LoomProcess.RunAsync(ws.Root, "run");
        Assert.Equal(1, exit);

        var (whyExit, stdout, stderr) = await LoomProcess.RunAsync(ws.Root, "why", "deploy");
        Assert.True(whyExit == 0, stderr);
        Assert.Equal(
            [
                "deploy: skipped: needs 'package', which was skipped",
                "package: skipped: needs 'test', which was skipped",
                "test: skipped: needs 'build', which failed",
                "build: failure: step 'compile' failed (exit code 3)",
            ],
            stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1));
    }

    [Fact]
    public async Task An_if_that_was_false_is_shown_with_the_values_it_read()
    {
        using var ws = new Workspace("""
            jobs:
              gate:
                steps: [{ run: 'echo "go=no" >> "$LOOM_OUTPUT"', id: decide }]
                outputs: { go: "${{ steps.decide.outputs.go }}" }
              release:
                needs: gate
                if: needs.gate.outputs.go == 'yes' && vars.CHANNEL == 'stable'
                steps: [{ run: touch released }]
              announce:
                needs: release
                steps: [{ run: touch announced }]
            """);
        var (exit, _, runErr) = await LoomProcess.RunAsync(ws.Root, "run", "--var", "CHANNEL=beta");
        Assert.True(exit == 0, runErr);
        Assert.False(ws.Exists("released"));

        var (_, stdout, _) = await LoomProcess.RunAsync(ws.Root, "why", "announce");
        Assert.Contains("announce: skipped: needs 'release', which was skipped", stdout);
        Assert.Contains("release: skipped: 'if: needs.gate.outputs.go == 'yes' && vars.CHANNEL == 'stable'' was false (needs.gate.outputs.go = 'no', vars.CHANNEL = 'beta')", stdout);
    }

    [Fact]
    public async Task Without_a_recorded_run_it_says_so_and_exits_2()
    {
        using var ws = new Workspace("jobs: { a: { steps: [ { run: x } ] } }");
        var (exit, _, stderr) = await LoomProcess.RunAsync(ws.Root, "why", "a");
        Assert.Equal(2, exit);
        Assert.Contains("no run recorded", stderr);
    }
}
