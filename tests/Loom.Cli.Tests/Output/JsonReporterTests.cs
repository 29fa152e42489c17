using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Loom.Actors.Protocol;
using Loom.Cli.Output;
using Loom.Core.Model;
using static Loom.Actors.Protocol.RunEvents;

namespace Loom.Cli.Tests.Output;

public sealed class JsonReporterTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 26, 5, 59, 29, 867, TimeSpan.Zero);

    // Strings JSON must escape, and some it may leave as they are.
    private const string Awkward = "say \"hi\" \\ <b>&amp; 'x' + y\u00e9 \u2713\ttab\nnext\u0001";

    public static readonly IRunNotification[] Samples =
    [
        new RunStarted("20261126-055929-4877", "demo", ["a", "b"], 2, At),
        new JobQueued("a", At),
        new JobStarted("a", 1, At),
        new JobSkipped("b", Result.Skipped, "needs 'a', which failed", At),
        new JobSkipped("b", Result.Cancelled, Awkward, At),
        new StepStarted("a", 0, Awkward, At),
        new StepFinished("a", 0, Result.Success, Result.Success, 0, TimeSpan.FromMilliseconds(11.1321), null, At),
        new StepFinished("a", 1, Result.Failure, Result.Success, null, TimeSpan.FromDays(1.5), "step timed out after 1 minutes", At),
        new JobFinished("a", Result.Success, false, null, TimeSpan.FromSeconds(1.25), At),
        new JobFinished("a", Result.Failure, true, "job timed out after 360 minutes", TimeSpan.FromMinutes(360), At),
        new JobFinished("a", Result.Failure, false, "exit code 1", TimeSpan.FromSeconds(2), At, new Dictionary<string, string> { ["v"] = Awkward }, true, TimeSpan.FromSeconds(4)),
        new MatrixExpanded("m", [new MatrixCell("m (linux, 8)", "{}"), new MatrixCell("m (mac, 8)", "{}")], At),
        new JobCancelling("m (mac, 8)", "cancelled by fail-fast: 'm (linux, 8)' failed", At),
        new JobInterrupted("a", 1, At),
        new JobFinished("c", Result.Success, false, null, TimeSpan.FromSeconds(0.01), At, new Dictionary<string, string>(), false, default, new string('a', 64), "r0"),
        new JobCarried("c", Result.Success, new Dictionary<string, string> { ["v"] = "1" }, "r0", At),
        new Annotation("a", 0, "error", Awkward, "src/a.cs", 3, 5, "Title", At),
        new Annotation("a", 1, "notice", "note", null, null, null, null, At),
        new StepSummary("a", "# Done\n" + Awkward, At),
        new RunCancelling("interrupted (SIGINT)", At),
        new RunFinished(Result.Failure, TimeSpan.FromSeconds(2.6), At.ToOffset(TimeSpan.FromHours(2))),
        new OutputLine("a", 0, Awkward, At),
        new OutputLine("a", 0, "", At),
        new WorkflowChanged(".loom.yml", At),
        new LoomProtocol.RunRejected("r1", ["a.yml:1:1: error one", Awkward]),
        new LoomProtocol.RunHeld("r1", "deploy-" + Awkward, true),
        new LoomProtocol.RunWaiting("r2", "deploy-" + Awkward, "r1", true),
        new WatchProtocol.Watching("/w", true, null, At),
        new WatchProtocol.Watching("/w", true, "inotify watch limit reached", At),
        new WatchProtocol.CycleStarting("s-2", 2, ["build: src/a.cs changed", Awkward], ["build", "test"], At),
        new WatchProtocol.ChangesWhileBusy("queued", ["test: test/a.cs changed"], At),
        new WatchProtocol.WorkflowReloaded(".loom.yml", ["new"], [], ["build"], At),
        new WatchProtocol.WorkflowRejected(".loom.yml", [".loom.yml:3:5: error: " + Awkward], At),
        new WatchProtocol.RunsForgotten(["s-1"], At),
        new WatchProtocol.WatchEnded("interrupted (SIGINT)", At),
    ];

    public static TheoryData<int> Indexes()
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < Samples.Length; i++)
            data.Add(i);
        return data;
    }

    [Theory]
    [MemberData(nameof(Indexes))]
    public void Each_notification_is_the_object_the_reflection_serializer_wrote(int index)
    {
        var notification = Samples[index];
        var written = JsonNode.Parse(WriteOne(notification))!.AsObject();
        var expected = JsonNode.Parse(Reference(notification))!.AsObject();
        Assert.Equal(expected.Select(p => p.Key), written.Select(p => p.Key));
        Assert.True(JsonNode.DeepEquals(expected, written), $"expected {expected.ToJsonString()}\nwritten  {written.ToJsonString()}");
    }

    [Fact]
    public void Every_kind_of_notification_is_written_except_the_acceptance()
    {
        var kinds = typeof(IRunNotification).Assembly.GetTypes()
            .Where(t => typeof(IRunNotification).IsAssignableFrom(t) && t is { IsInterface: false, IsAbstract: false })
            .Where(t => t != typeof(LoomProtocol.RunAccepted));
        Assert.All(kinds, kind => Assert.Contains(Samples, s => s.GetType() == kind));
        Assert.Equal("", WriteOne(new LoomProtocol.RunAccepted("r1", Akka.Actor.ActorRefs.Nobody, [])));
    }

    [Fact]
    public void Lines_are_one_object_each()
    {
        var output = new StringWriter();
        var reporter = new JsonReporter(output);
        foreach (var sample in Samples)
            reporter.Handle(sample);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Samples.Length, lines.Length);
        Assert.All(lines, line => Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(line).RootElement.ValueKind));
        Assert.DoesNotContain("\e[", output.ToString());
    }

    private static string WriteOne(IRunNotification notification)
    {
        var output = new StringWriter();
        new JsonReporter(output).Handle(notification);
        return output.ToString().TrimEnd('\n');
    }

    // What the reporter wrote before it wrote fields itself: each record serialized by reflection
    // (camelCase, enums as camelCase strings) under an "event" property naming its type.
    private static string Reference(IRunNotification notification)
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        };
        var type = notification.GetType();
        var body = JsonSerializer.SerializeToNode(notification, type, options)!.AsObject();
        var line = new JsonObject { ["event"] = JsonNamingPolicy.CamelCase.ConvertName(type.Name) };
        foreach (var (key, value) in body.ToList())
        {
            body.Remove(key);
            line[key] = value;
        }
        return line.ToJsonString();
    }
}
