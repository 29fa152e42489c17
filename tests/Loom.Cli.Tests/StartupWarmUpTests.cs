using Loom.Core.Model;
using static Loom.Actors.Protocol.RunEvents;

namespace Loom.Cli.Tests;

/// <summary>The start-up warm-up swallows its failures, so this is what notices one that stopped doing its work.</summary>
public sealed class StartupWarmUpTests
{
    [Fact]
    public void The_rehearsed_run_goes_through_every_job_to_a_successful_end()
    {
        var events = StartupWarmUp.Rehearse();
        Assert.Equal(["a", "b"], events.OfType<JobFinished>().Select(e => e.JobId));
        Assert.Equal(2, events.OfType<StepFinished>().Count());
        Assert.Equal(Result.Success, Assert.IsType<RunFinished>(events[^1]).Result);
    }

    [Fact]
    public async Task The_rehearsed_step_starts_a_real_process_that_succeeds()
    {
        var exit = await StartupWarmUp.RehearseStepAsync();
        Assert.Null(exit.StartError);
        Assert.Equal(0, exit.ExitCode);
    }
}
