using Loom.Core.Model;
using static Loom.Actors.Protocol.RunEvents;

namespace Loom.Actors.Tests.Actors;

public sealed class WatcherActorTests : LoomActorTestBase
{
    [Fact]
    public async Task Editing_the_workflow_during_a_run_is_reported_and_the_run_goes_on_undisturbed()
    {
        WriteWorkflow("""
            jobs:
              wait-for-edit:
                steps:
                  - run: touch started; for i in $(seq 600); do [ -f edited ] && exit 0; sleep 0.05; done; exit 1
                  - run: echo original-step-ran
            """);
        var subscriber = Submit("watch");
        await WaitForFileAsync(Path.Combine(Workspace, "started"), allowEmpty: true);
        File.WriteAllText(WorkflowPath, "jobs: {}   # rewritten while the run goes on\n");

        var changed = subscriber.FishForMessage<WorkflowChanged>(_ => true, Patience);
        Assert.Equal(".loom.yml", changed.Path);
        File.WriteAllText(Path.Combine(Workspace, "edited"), "");

        var seen = UntilFinished(subscriber);
        Assert.Equal(Result.Success, seen.OfType<RunFinished>().Single().Result);
        Assert.Contains(seen.OfType<OutputLine>(), o => o.Line == "original-step-ran");
    }
}
