namespace Loom.Cli.Tests;

/// <summary>Spec §3 shells run for real; pwsh is installed by the test command (a dotnet tool).</summary>
public sealed class ShellTests
{
    private static readonly string DotnetTools =
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet", "tools");

    [Fact]
    public async Task A_pwsh_step_runs_in_powershell_sees_its_env_and_sets_outputs()
    {
        var path = $"{Environment.GetEnvironmentVariable("PATH")}:{DotnetTools}";
        Assert.True(path.Split(':').Any(dir => File.Exists(Path.Combine(dir, "pwsh"))),
            "pwsh is missing: tests/run.sh installs it with 'dotnet tool install --global PowerShell'");
        using var ws = new Workspace("""
            jobs:
              ps:
                steps:
                  - id: calc
                    shell: pwsh
                    env: { WHO: loom }
                    run: |
                      Set-Content -Path ps.txt -Value "hello $env:WHO from $($PSVersionTable.PSEdition)"
                      "sum=$(1 + 2)" | Out-File -FilePath $env:LOOM_OUTPUT -Append -Encoding utf8
                  - run: echo "${{ steps.calc.outputs.sum }}" > sum.txt
                  - id: fails
                    shell: pwsh
                    continue-on-error: true
                    run: exit 4
                  - run: echo "${{ steps.fails.outcome }}/${{ steps.fails.conclusion }}" > outcome.txt
            """);
        using var loom = LoomProcess.Start(ws.Root, new Dictionary<string, string> { ["PATH"] = path }, "run", "--plain");
        var exit = await loom.WaitAsync();
        Assert.True(exit == 0, loom.Stdout + loom.Stderr);
        Assert.Equal("hello loom from Core", ws.Read("ps.txt").Trim());
        Assert.Equal("3", ws.Read("sum.txt").Trim());
        Assert.Equal("failure/success", ws.Read("outcome.txt").Trim());
    }
}
