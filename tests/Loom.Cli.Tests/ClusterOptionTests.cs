using Loom.Cli.Commands;
using Loom.Cli.Commands.Ctl;

namespace Loom.Cli.Tests;

public sealed class ClusterOptionTests
{
    [Fact]
    public void A_run_command_with_cluster_becomes_the_same_loom_ctl_command()
    {
        Assert.Equal(["n1:4053,n2:4053", "--cluster-secret-file", "s", "--json", "logs", "r1", "build", "--follow"],
            CtlCommand.FromClusterOption("logs", ["r1", "--cluster", "n1:4053", "build", "--cluster-secret-file=s", "--cluster=n2:4053", "--follow", "--json"]));
        Assert.Equal(["n1:4053", "retry", "r1", "--max-parallel", "2"], CtlCommand.FromClusterOption("retry", ["r1", "-j", "2", "--cluster", "n1:4053"]));
    }

    [Fact]
    public void A_cluster_option_without_its_value_is_a_usage_error()
    {
        var error = Assert.Throws<UsageException>(() => CtlCommand.FromClusterOption("runs", ["--cluster"]));
        Assert.Equal("--cluster needs a value", error.Message);
    }
}
