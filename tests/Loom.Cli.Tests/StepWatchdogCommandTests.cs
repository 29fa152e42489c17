using Loom.Cli.Commands;

namespace Loom.Cli.Tests;

/// <summary>The hidden <c>loom __step-watchdog</c> that <c>loom serve</c> starts beside itself (run for real in Loom.Cluster.Tests).</summary>
public sealed class StepWatchdogCommandTests
{
    [Theory]
    [InlineData("/opt/loom/loom", "/opt/loom/loom.dll", new[] { "/opt/loom/loom", "__step-watchdog" })]
    [InlineData("/home/u/.dotnet/tools/loom", "/home/u/.dotnet/tools/.store/loom/loom.dll", new[] { "/home/u/.dotnet/tools/loom", "__step-watchdog" })]
    [InlineData("/usr/share/dotnet/dotnet", "/src/bin/loom.dll", new[] { "/usr/share/dotnet/dotnet", "/src/bin/loom.dll", "__step-watchdog" })]
    public void Loom_starts_itself_again_through_the_same_host(string processPath, string assembly, string[] command) =>
        Assert.Equal(command, ServeCommand.SelfCommand(processPath, assembly, ServeCommand.StepWatchdogCommand));

    [Fact]
    public async Task Without_its_folder_it_is_a_one_line_usage_error()
    {
        var (exit, stdout, stderr) = await LoomProcess.RunAsync(Path.GetTempPath(), "__step-watchdog");
        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        Assert.Equal("loom: error: __step-watchdog takes the node's step process records folder (loom serve starts it)\n", stderr);
    }
}
