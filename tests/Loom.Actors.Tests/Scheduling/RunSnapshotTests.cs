using System.Text.Json;
using Loom.Actors.Protocol;
using Loom.Actors.Scheduling;
using Loom.Core.Model;
using Loom.Core.Parsing;

namespace Loom.Actors.Tests.Scheduling;

/// <summary>A state restored from a snapshot taken at any point makes exactly the decisions the original makes from there on.</summary>
public sealed class RunSnapshotTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    private const string Yaml = """
        jobs:
          a: { steps: [{ run: x }] }
          b:
            needs: a
            strategy: { max-parallel: 1, matrix: { n: [1, 2] } }
            outputs: { v: "${{ matrix.n }}" }
            steps: [{ run: x }]
          flaky:
            needs: a
            retry: { max-attempts: 2, backoff-seconds: 1 }
            continue-on-error: true
            steps: [{ run: x }]
          c: { needs: [b, flaky], steps: [{ run: x }] }
          never: { needs: c, if: failure(), steps: [{ run: x }] }
          last: { needs: [c], steps: [{ run: x }] }
        """;

    private static readonly ILoomMessage[] Commands =
    [
        new SchedulerProtocol.Start(Akka.Actor.ActorRefs.Nobody),
        new SchedulerProtocol.StepStarted("a", 0, "x", 4242, 7),
        new SchedulerProtocol.JobFinished("a", Result.Success, false, null, TimeSpan.FromSeconds(1)),
        new SchedulerProtocol.StepStarted("b (1)", 0, "x"),
        new SchedulerProtocol.JobFinished("flaky", Result.Failure, false, "exit code 1", TimeSpan.FromSeconds(1)),
        new SchedulerProtocol.JobFinished("b (1)", Result.Success, false, null, TimeSpan.FromSeconds(1), new Dictionary<string, string> { ["v"] = "1" }, new string('c', 64)),
        new SchedulerProtocol.RetryDue("flaky"),
        new SchedulerProtocol.JobFinished("b (2)", Result.Success, false, null, TimeSpan.FromSeconds(1), new Dictionary<string, string> { ["v"] = "2" }),
        new SchedulerProtocol.JobFinished("flaky", Result.Failure, false, "exit code 1", TimeSpan.FromSeconds(1)),
        new SchedulerProtocol.JobFinished("c", Result.Success, false, null, TimeSpan.FromSeconds(1)),
        new SchedulerProtocol.JobFinished("last", Result.Success, false, null, TimeSpan.FromSeconds(1)),
    ];

    [Fact]
    public void From_every_point_of_a_run_the_restored_state_decides_as_the_original()
    {
        var plan = Plan();
        var original = new RunState(plan);
        var decisions = new List<string[]>();
        var snapshots = new List<RunSnapshot>();
        foreach (var command in Commands)
        {
            decisions.Add(Json(original.Handle(command, Now)));
            snapshots.Add(RoundTrip(original.ToSnapshot()));
        }
        Assert.True(original.Finished);
        Assert.Equal(Result.Success, original.RunResult);

        for (var point = 0; point < Commands.Length; point++)
        {
            var restored = new RunState(plan);
            restored.Restore(snapshots[point]);
            Assert.Equal(Json([snapshots[point]]), Json([restored.ToSnapshot()]));
            for (var next = point + 1; next < Commands.Length; next++)
                Assert.Equal(decisions[next], Json(restored.Handle(Commands[next], Now)));
            Assert.Equal((original.Finished, original.RunResult, original.Running), (restored.Finished, restored.RunResult, restored.Running));
        }
    }

    [Fact]
    public void A_snapshot_of_another_plan_is_refused()
    {
        var state = new RunState(Plan());
        state.Handle(Commands[0], Now);
        var other = new RunState(RunPlan.Create("r2", WorkflowLoader.Load("w.yml", "jobs: { z: { steps: [{ run: x }] } }").Workflow!, [], 2));
        var error = Assert.Throws<InvalidOperationException>(() => other.Restore(state.ToSnapshot()));
        Assert.Contains("another plan", error.Message);
    }

    private static RunPlan Plan()
    {
        var loaded = WorkflowLoader.Load("w.yml", Yaml);
        Assert.True(loaded.Succeeded, string.Join("\n", loaded.Errors));
        return RunPlan.Create("r1", loaded.Workflow!, [], 4);
    }

    /// <summary>Through Loom's serializer, as the snapshot store keeps it.</summary>
    private static RunSnapshot RoundTrip(RunSnapshot snapshot)
    {
        using var system = Akka.Actor.ActorSystem.Create("snap", Akka.Configuration.ConfigurationFactory.ParseString($$"""
            akka.actor.serializers.loom = "{{typeof(Loom.Actors.Serialization.LoomMessageSerializer).AssemblyQualifiedName}}"
            akka.actor.serialization-bindings { "{{typeof(ILoomMessage).AssemblyQualifiedName}}" = loom }
            """));
        var serializer = system.Serialization.FindSerializerFor(snapshot);
        Assert.IsType<Loom.Actors.Serialization.LoomMessageSerializer>(serializer);
        return (RunSnapshot)system.Serialization.Deserialize(serializer.ToBinary(snapshot), serializer.Identifier, Akka.Serialization.Serialization.ManifestFor(serializer, snapshot));
    }

    private static string[] Json(IEnumerable<object> items) => items.Select(i => JsonSerializer.Serialize(i, i.GetType())).ToArray();
}
