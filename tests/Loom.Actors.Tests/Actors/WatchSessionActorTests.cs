using Akka.Actor;
using Loom.Actors.Protocol;
using Loom.Core.Model;
using static Loom.Actors.Protocol.RunEvents;

namespace Loom.Actors.Tests.Actors;

public sealed class WatchSessionActorTests : LoomActorTestBase
{
    [Fact]
    public async Task A_cycle_runs_the_changed_job_and_its_scheduler_is_stopped_once_it_is_over()
    {
        WriteWorkflow("""
            jobs:
              build:
                inputs: ["src/**"]
                outputs: { stamp: "${{ steps.s.outputs.stamp }}" }
                steps: [{ id: s, run: 'echo "stamp=$(cat src/a.txt 2>/dev/null || echo none)" >> "$LOOM_OUTPUT"' }]
              docs:
                inputs: ["docs/**"]
                steps: [{ run: echo docs }]
            """);
        Directory.CreateDirectory(Path.Combine(Workspace, "src"));
        var subscriber = CreateTestProbe();
        var settings = new WatchProtocol.WatchSettings(WorkflowPath, ".loom.yml", Workspace, 2, RunContexts.Empty, false,
            TimeSpan.FromMilliseconds(20), OnBusy.Queue, Poll: false, KeepRuns: 20);
        Guardian.Tell(new WatchProtocol.StartWatch("s", settings, subscriber.Ref));
        subscriber.ExpectMsg<WatchProtocol.Watching>();
        var first = subscriber.ExpectMsg<WatchProtocol.CycleStarting>();
        Assert.Equal(["build", "docs"], first.Jobs);
        subscriber.FishForMessage<RunFinished>(_ => true, Patience);
        await AwaitConditionAsync(async () => !await IsAlive("/user/loom/run-" + first.RunId), Patience);

        // Past the window in which a change still counts as the job's own write.
        await Task.Delay(TimeSpan.FromMilliseconds(200));
        File.WriteAllText(Path.Combine(Workspace, "src", "a.txt"), "v2");
        var second = subscriber.FishForMessage<WatchProtocol.CycleStarting>(_ => true, Patience);
        Assert.Equal(["build"], second.Jobs);
        Assert.Equal(["build: src/a.txt changed"], second.Reasons);
        var carried = subscriber.FishForMessage<JobCarried>(_ => true, Patience);
        Assert.Equal(("docs", first.RunId), (carried.JobId, carried.FromRunId));
        var build = subscriber.FishForMessage<JobFinished>(f => f.JobId == "build", Patience);
        Assert.Equal("v2", build.Outputs!["stamp"]);
        Assert.Equal(Result.Success, subscriber.FishForMessage<RunFinished>(_ => true, Patience).Result);

        Guardian.Tell(new WatchProtocol.StopWatch("s", "done"));
        Assert.Equal("done", subscriber.FishForMessage<WatchProtocol.WatchEnded>(_ => true, Patience).Reason);
    }

    private async Task<bool> IsAlive(string path)
    {
        var identity = await Sys.ActorSelection(path).Ask<ActorIdentity>(new Identify(path), Patience);
        return identity.Subject is not null;
    }
}
