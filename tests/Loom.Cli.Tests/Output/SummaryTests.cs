using Loom.Cli.Output;
using Loom.Core.Model;
using static Loom.Actors.Protocol.RunEvents;

namespace Loom.Cli.Tests.Output;

public sealed class SummaryTests
{
    [Fact]
    public void Lists_each_job_and_counts_results_in_their_order()
    {
        var now = DateTimeOffset.UtcNow;
        var tally = new RunTally();
        tally.Apply(new RunStarted("r1", "demo", ["b", "aa", "c", "d"], 2, now));
        tally.Apply(new JobFinished("aa", Result.Failure, false, "exit code 2", TimeSpan.FromSeconds(1), now));
        tally.Apply(new JobSkipped("c", Result.Skipped, "needs 'aa', which failed", now));
        tally.Apply(new JobFinished("b", Result.Success, false, null, TimeSpan.FromSeconds(2), now));
        tally.Apply(new JobFinished("d", Result.Success, false, null, TimeSpan.FromSeconds(2), now));
        tally.Apply(new RunFinished(Result.Failure, TimeSpan.FromSeconds(2.6), now));
        var output = new StringWriter();
        Summary.Write(output, tally, new Style(colour: false));
        var lines = output.ToString().Split('\n');
        Assert.Equal("job  result         time  detail", lines[1]);
        Assert.StartsWith("b   ok ", lines[2]);
        Assert.StartsWith("aa  FAIL ", lines[3]);
        Assert.EndsWith("1.00s  exit code 2", lines[3]);
        Assert.Equal("run failure in 2.60s: 2 success, 1 failure, 1 skipped", lines[^2]);
    }
}
