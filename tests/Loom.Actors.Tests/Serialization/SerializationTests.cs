using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit.Xunit2;
using Loom.Actors.Protocol;
using Loom.Actors.Serialization;
using Loom.Core.Model;
using static Loom.Actors.Protocol.RunEvents;

namespace Loom.Actors.Tests.Serialization;

public sealed class SerializationTests() : TestKit(Config)
{
    public static readonly Config Config = ConfigurationFactory.ParseString("""
        akka.actor {
          serializers.loom = "Loom.Actors.Serialization.LoomMessageSerializer, Loom.Actors"
          serialization-bindings { "Loom.Actors.Protocol.ILoomMessage, Loom.Actors" = loom }
          serialization-identifiers { "Loom.Actors.Serialization.LoomMessageSerializer, Loom.Actors" = 1717 }
        }
        """);

    private static readonly DateTimeOffset At = new(2026, 11, 26, 10, 30, 0, TimeSpan.FromHours(1));

    private IEnumerable<ILoomMessage> Samples()
    {
        var probe = CreateTestProbe().Ref;
        var env = new Dictionary<string, string> { ["A"] = "1" };
        var step = new StepSpec(0, "ver", "Compute ${{ matrix.os }}", "Compute", "echo hi", "bash", "src", env, "success()", new Setting<double>(0.5, null), new Setting<bool>(false, "${{ matrix.experimental }}"));
        yield return new RunStarted("r1", "ci", ["a", "b"], 4, At);
        yield return new RunDefined("/ws/.loom.yml", ".loom.yml", "ab12", "jobs: {}", ["a"], 2, true,
            RunContexts.Empty with { Vars = new Dictionary<string, string> { ["V"] = "1" } }, At)
        {
            Carried = new Dictionary<string, CarriedJob> { ["b"] = new("r0", Result.Success, new Dictionary<string, string>()) },
            LogsFolder = "/ws/.loom/runs/r1/logs",
            Workspace = "cluster:" + new string('a', 64),
        };
        yield return new StepStarted("a", 1, "build", At, 4242, 123456);
        yield return new JobInterrupted("a", 1, At);
        yield return new JobCarried("a", Result.Success, new Dictionary<string, string> { ["v"] = "1" }, "r0", At);
        yield return new JobQueued("a", At);
        yield return new JobStarted("a", 2, At);
        yield return new MatrixExpanded("m", [new MatrixCell("m (linux)", "{\"os\":\"linux\"}")], At);
        yield return new JobCancelling("m (linux)", "cancelled by fail-fast", At);
        yield return new Annotation("a", 0, "error", "boom", "src/a.cs", 3, 5, "Title", At);
        yield return new StepSummary("a", "# Done", At);
        yield return new JobSkipped("b", Result.Cancelled, "needs 'a', which failed", At);
        yield return new RunEvents.StepStarted("a", 0, "Compute", At);
        yield return new RunEvents.StepFinished("a", 0, Result.Failure, Result.Success, 3, TimeSpan.FromMilliseconds(1500), "boom", At);
        yield return new RunEvents.JobFinished("a", Result.Cancelled, true, "job timed out", TimeSpan.FromSeconds(3), At, new Dictionary<string, string> { ["v"] = "1" }, true, TimeSpan.FromSeconds(2));
        yield return new RunCancelling("interrupted (SIGINT)", At);
        yield return new RunFinished(Result.Failure, TimeSpan.FromSeconds(4), At);
        yield return new OutputLine("a", 0, "hello \u00e9 \u2713", At);
        yield return new WorkflowChanged(".loom.yml", At);
        yield return new WatchProtocol.Watching("/w", true, "inotify watch limit reached", At);
        yield return new WatchProtocol.CycleStarting("s-2", 2, ["build: src/a.cs changed"], ["build", "test"], At);
        yield return new WatchProtocol.ChangesWhileBusy("queued", ["test: test/a.cs changed"], At);
        yield return new WatchProtocol.WorkflowReloaded(".loom.yml", ["new"], ["old"], ["build"], At);
        yield return new WatchProtocol.WorkflowRejected(".loom.yml", [".loom.yml:3:5: error: bad"], At);
        yield return new WatchProtocol.RunsForgotten(["s-1"], At);
        yield return new WatchProtocol.WatchEnded("interrupted", At);
        yield return new SchedulerProtocol.Start(probe);
        yield return new SchedulerProtocol.Cancel("user");
        yield return new SchedulerProtocol.WorkflowFileChanged(".loom.yml");
        yield return new SchedulerProtocol.StepStarted("a", 1, "t");
        yield return new SchedulerProtocol.StepOutput("a", 1, "line");
        yield return new SchedulerProtocol.StepFinished("a", 1, Result.Success, Result.Success, 0, TimeSpan.FromSeconds(1), null);
        yield return new SchedulerProtocol.JobFinished("a", Result.Success, false, null, TimeSpan.FromSeconds(1), new Dictionary<string, string> { ["v"] = "1" });
        yield return new SchedulerProtocol.Annotation("a", 0, "warning", "careful", null, null, null, null);
        yield return new SchedulerProtocol.StepSummary("a", "# Done");
        yield return new SchedulerProtocol.RetryDue("a");
        yield return SchedulerProtocol.Advance.Instance;
        yield return SchedulerProtocol.Resume.Instance;
        yield return new RunSnapshot(true, false, false, null, At, false,
        [
            new JobSnapshot("a", Loom.Actors.Scheduling.JobPhase.Running, null, null, null, false,
            [
                new UnitSnapshot("a (1)", 0, "{\"n\":1}", Loom.Actors.Scheduling.JobPhase.Running, null, null, false, false, null, At,
                    TimeSpan.Zero, "build", 1, 2, 1, new Dictionary<string, string> { ["v"] = "1" }, null, 4242, 99),
            ]),
        ]);
        yield return new SchedulerProtocol.StepStarted("a", 0, "build", 4242, 123456);
        yield return new SchedulerProtocol.Start(probe, Resume: true);
        yield return SchedulerProtocol.GetStatus.Instance;
        yield return new SchedulerProtocol.RunStatus("r1", true, false, null, 12, [new UnitStatus("a", Loom.Actors.Scheduling.JobPhase.Done, Result.Failure, "exit code 3", TimeSpan.FromSeconds(1), 2, 1)]);
        yield return new RunnerProtocol.RunJob("r1", "/ws", new JobSpec("a (x)", "a", 1, env, 360, [step], env, "{\"matrix\":{\"os\":\"x\"}}", env));
        yield return new RunnerProtocol.RunJob("r1", "/ws", new JobSpec("b", "b", 1, env, 360, [step], env, "{}", env)
        {
            Cache = new CacheRequest([new("steps[0].run", "make")], [env], ["src/**"], ["out/**"],
                [new NeedOutcome("a", new string('f', 64), Result.Success, env), new NeedOutcome("c", null, Result.Skipped, env)], Read: true),
        });
        yield return new SchedulerProtocol.JobFinished("b", Result.Success, false, null, TimeSpan.Zero, env, new string('f', 64), "r0");
        yield return new RunnerProtocol.CancelJob("user");
        yield return new RunnerProtocol.Dispatch("r1", "cluster:" + new string('a', 64), new JobSpec("g", "g", 2, env, 5, [step], env, "{}", env) { RunsOn = ["linux", "gpu"] }, probe);
        yield return new RunnerProtocol.Withdraw("r1", "g", 2, "cancelled");
        yield return new RunnerProtocol.Released("r1", "g", 2);
        yield return new SchedulerProtocol.RunnerLost("g", 2, "its node left the cluster");
        yield return new LoomProtocol.SubmitRun("r1", "/ws/.loom.yml", ".loom.yml", "/ws", ["a"], 2, probe)
        {
            Contexts = new RunContexts(env, "{}", env, env, env),
            SkipUses = true,
            HoldForGroup = true,
        };
        yield return new LoomProtocol.RunAccepted("r1", probe, ["x:1:1: warning: skipped"]);
        yield return new LoomProtocol.RunRejected("r1", ["x:1:1: error: bad"]);
        yield return new LoomProtocol.CancelRun("r1", "user");
        yield return new LoomProtocol.RunHeld("r1", "deploy-main", true);
        yield return new LoomProtocol.RunWaiting("r2", "deploy-main", "r1", false);
        yield return new LoomProtocol.ReleaseRun("r1");
    }

    [Fact]
    public void Every_message_type_has_a_sample_here()
    {
        var covered = Samples().Select(s => s.GetType()).ToHashSet();
        var missing = LoomMessageSerializer.MessageTypes.Where(t => !covered.Contains(t)).Select(t => t.FullName).ToList();
        Assert.Empty(missing);
    }

    [Fact]
    public void Every_journaled_event_type_has_a_sample_here()
    {
        // Every IRunEvent is what the scheduler persists; the round trip below covers each of them.
        var covered = Samples().Select(s => s.GetType()).ToHashSet();
        var events = LoomMessageSerializer.MessageTypes.Where(typeof(IRunEvent).IsAssignableFrom).ToList();
        Assert.True(events.Count >= 10);
        Assert.All(events, t => Assert.Contains(t, covered));
    }

    [Fact]
    public void Every_message_round_trips_through_the_loom_serializer()
    {
        foreach (var message in Samples())
        {
            var serializer = Sys.Serialization.FindSerializerFor(message);
            Assert.IsType<LoomMessageSerializer>(serializer);
            var bytes = serializer.ToBinary(message);
            var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, message);
            var back = Sys.Serialization.Deserialize(bytes, serializer.Identifier, manifest);
            Assert.IsType(message.GetType(), back);
            // Records hold lists, whose equality is by reference: compare the bytes of a second trip.
            Assert.Equal(bytes, serializer.ToBinary(back));
            // A field the journal's hand-written format left out would be lost both ways: compare every field too.
            if (message is IRunEvent or RunSnapshot)
                Assert.Equal(System.Text.Json.JsonSerializer.Serialize(message, message.GetType()), System.Text.Json.JsonSerializer.Serialize(back, back.GetType()));
        }
    }

    [Fact]
    public void Actor_references_survive_the_trip()
    {
        var probe = CreateTestProbe();
        var message = new SchedulerProtocol.Start(probe.Ref);
        var serializer = Sys.Serialization.FindSerializerFor(message);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, message);
        var back = (SchedulerProtocol.Start)Sys.Serialization.Deserialize(serializer.ToBinary(message), serializer.Identifier, manifest);
        back.Subscriber.Tell("ping");
        probe.ExpectMsg("ping");
    }
}
