using System.Text.RegularExpressions;

namespace Loom.Cli.Tests.Shipping;

/// <summary>
/// <c>dotnet pack</c> makes the <c>loom</c> dotnet tool; it installs from the local package folder (as the README shows)
/// into a tool path of its own and runs.
/// </summary>
[Collection(DotnetCommand.BuildCollection)]
public sealed class ToolPackageTests : IDisposable
{
    private static readonly TimeSpan PackPatience = TimeSpan.FromMinutes(8);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);
    private readonly string work = Directory.CreateTempSubdirectory("loom-tool-").FullName;

    [Fact]
    public async Task The_packed_tool_installs_from_the_local_folder_and_runs_a_workflow()
    {
        var root = DotnetCommand.RepositoryRoot();
        var packages = Path.Combine(work, "packages");
        await DotnetCommand.RunAsync("dotnet", root, ["pack", "src/Loom.Cli", "-c", DotnetCommand.Configuration, "-o", packages, "--disable-build-servers", "-nologo", "-v", "quiet"], PackPatience);
        var version = Regex.Match(File.ReadAllText(Path.Combine(root, "Directory.Build.props")), "<Version>([^<]+)</Version>").Groups[1].Value;
        // The pointer package, this machine's ReadyToRun package and the framework-dependent one for other platforms.
        var packed = Directory.GetFiles(packages).Select(Path.GetFileName).Order().ToList();
        Assert.Contains($"loom.{version}.nupkg", packed);
        Assert.Contains($"loom.any.{version}.nupkg", packed);
        Assert.Contains(packed, p => Regex.IsMatch(p!, $@"^loom\.linux-[a-z0-9]+\.{Regex.Escape(version)}\.nupkg$"));

        // Only the local folder as a source, and a packages folder of its own: no feed, and no package cached by an earlier run.
        var config = Path.Combine(work, "nuget.config");
        File.WriteAllText(config, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{packages}" />
              </packageSources>
            </configuration>
            """);
        var tools = Path.Combine(work, "tools");
        var env = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(work, "nuget-cache") };
        await DotnetCommand.RunAsync("dotnet", work, ["tool", "install", "--tool-path", tools, "loom", "--configfile", config], Patience, env);
        var loom = Path.Combine(tools, "loom");
        // This machine's package: the ReadyToRun executable itself, no 'dotnet' shim in front of it.
        Assert.Contains($"{Path.DirectorySeparatorChar}loom.linux-", new FileInfo(loom).LinkTarget ?? "");

        Assert.Equal($"loom {version}", (await DotnetCommand.RunAsync(loom, work, ["--version"], Patience)).Trim());
        var project = Directory.CreateDirectory(Path.Combine(work, "project")).FullName;
        File.WriteAllText(Path.Combine(project, ".loom.yml"), "jobs:\n  hello:\n    steps:\n      - run: echo hello from the installed tool\n");
        var run = await DotnetCommand.RunAsync(loom, project, ["run", "--plain"], Patience);
        Assert.Contains("[hello] hello from the installed tool", run);
        Assert.Contains("run success", run);
        Assert.Contains("hello", await DotnetCommand.RunAsync(loom, project, ["list"], Patience));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(work, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
