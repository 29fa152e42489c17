using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit.Xunit2;
using Loom.Actors.Persistence;
using Loom.Actors.Protocol;
using Loom.Cluster.Admin;
using Loom.Cluster.Coordination;
using Loom.Cluster.Protocol;
using Loom.Cluster.Serialization;
using Loom.Core.Model;

namespace Loom.Cluster.Tests.Serialization;

/// <summary>Every message of the cluster layer, found by reflection, round-trips through its bound serializer (never Newtonsoft).</summary>
public sealed class ClusterSerializationTests() : TestKit(Config)
{
    private static readonly Config Config = ConfigurationFactory.ParseString("""
        akka.actor {
          serializers.loom-cluster = "Loom.Cluster.Serialization.ClusterMessageSerializer, Loom.Cluster"
          serialization-bindings { "Loom.Cluster.Protocol.ILoomClusterMessage, Loom.Cluster" = loom-cluster }
          serialization-identifiers { "Loom.Cluster.Serialization.ClusterMessageSerializer, Loom.Cluster" = 1718 }
        }
        """);

    private const string Secret = "correct horse battery staple";

    private IEnumerable<ILoomClusterMessage> Samples()
    {
        var probe = CreateTestProbe().Ref;
        var env = new Dictionary<string, string> { ["A"] = "1" };
        var step = new StepSpec(0, "s", null, "build", "make", "bash", null, env, "success()", new Setting<double>(1, null), new Setting<bool>(false, null));
        var job = new JobSpec("build (linux)", "build", 2, env, 30, [step], env, "{}", env) { RunsOn = ["linux"] };
        yield return new ClusterProtocol.StartRunner("akka.tcp://loom@h:1#5", "r1/build%20(linux)/2", "r1", "cluster:" + new string('c', 64), job, probe, probe);
        yield return new ClusterProtocol.CancelRunner("akka.tcp://loom@h:1#5", "r1/build/2", "cancelled");
        yield return new ClusterProtocol.RunnerRefused("r1", "build", 2, "the node is draining", NodeClosed: true);
        yield return new ClusterProtocol.SubmitRun("r1", "jobs: {}", "/home/me/project/.loom.yml", ".loom.yml", "", ["build"], 3, new RunContexts(env, "{}", env, env, env), true, false, Follow: true)
        {
            Secret = Secret,
            Carried = new Dictionary<string, CarriedJob> { ["lint"] = new("r0", Result.Success, env) },
        };
        yield return new ClusterProtocol.FollowRun("r1") { Secret = Secret };
        yield return new ClusterProtocol.Following("r1", true, Result.Failure, TimeSpan.FromSeconds(3)) { Relay = "a1", Sent = 7 };
        yield return new ClusterProtocol.FollowRun("r1") { Secret = Secret, Relay = "a1", After = 6, Replay = true };
        yield return new ClusterProtocol.RunNotice("r1", "a1", 7, new ClusterProtocol.Serialized(1717, "RunEvents.RunStarted", [1, 2]));
        yield return new ClusterProtocol.NoticesDropped("r1", "a1", 5);
        yield return new ClusterProtocol.CheckRunner("akka.tcp://loom@h:1#5", "r1/build/2", "r1", "build", 2);
        yield return new ClusterProtocol.RunnerUnknown("r1", "build", 2, "r1/build/2");
        yield return new ClusterProtocol.CancelRun("r1", "interrupted") { Secret = Secret };
        yield return new ClusterProtocol.FindMissingBlobs([new string('a', 64)]) { Secret = Secret };
        yield return new ClusterProtocol.BlobsMissing([new string('b', 64)]);
        yield return new ClusterProtocol.BlobChunk(new string('a', 64), 65536, 70000, [1, 2, 3]) { Secret = Secret };
        yield return new ClusterProtocol.BlobStored(new string('a', 64), null);
        yield return new ClusterProtocol.Refused("wrong cluster secret");
        yield return Dispatcher.GetPlacements.Instance;
        yield return new Dispatcher.Placements([new Dispatcher.NodePlacements("akka.tcp://loom@h:1", ["*"], 4, 2, true)], 3);
        foreach (var admin in AdminSamples())
            yield return admin;
    }

    private static IEnumerable<ILoomClusterMessage> AdminSamples()
    {
        var at = new DateTimeOffset(2026, 11, 26, 14, 0, 0, TimeSpan.FromHours(1));
        var job = new AdminProtocol.JobPlacement("r1", "build (linux)", 2, "akka.tcp://loom@h:1", ["linux"], 1, "r1/build%20(linux)/2~1");
        yield return new AdminProtocol.Refused("wrong secret");
        yield return new AdminProtocol.Done("leave requested");
        yield return new AdminProtocol.GetMembers(Secret);
        yield return new AdminProtocol.Members("akka.tcp://loom@h:1", "akka.tcp://loom@h:1", null,
            [new AdminProtocol.MemberInfo("akka.tcp://loom@h:1", "Up", false, ["gpu"], 4, null, "0.1.0", ["loom-node"])]);
        yield return new AdminProtocol.LeaveMember("h:1", Secret);
        yield return new AdminProtocol.DownMember("h:1", Secret);
        yield return new AdminProtocol.TailMembers(Secret);
        yield return new AdminProtocol.StopTail(Secret);
        yield return new AdminProtocol.MemberChanged(at, "akka.tcp://loom@h:1", "unreachable", "Up", ["loom-node"]);
        yield return new AdminProtocol.GetScheduler(Secret);
        yield return new AdminProtocol.SchedulerState("akka.tcp://loom@h:1", ["r1"], [job], [job with { Node = null }]);
        yield return new AdminProtocol.GetShards(Secret);
        yield return new AdminProtocol.Shards([new AdminProtocol.NodeShards("akka.tcp://loom@h:1", [new AdminProtocol.ShardInfo("s1", ["r1/a/1"])])], ["akka.tcp://loom@h:2"]);
        yield return new AdminProtocol.NodeShards("akka.tcp://loom@h:1", []);
        yield return new AdminProtocol.GetActors("h:1", 3, Secret);
        yield return new AdminProtocol.Actors([new AdminProtocol.NodeActors("akka.tcp://loom@h:1", ["/user", "/user/loom-admin"])], []);
        yield return new AdminProtocol.NodeActors("akka.tcp://loom@h:1", ["/system"]);
        yield return new AdminProtocol.PeekLogs(null, 20, "warning", Secret);
        yield return new AdminProtocol.Logs([new AdminProtocol.NodeLogs("akka.tcp://loom@h:1", [new AdminProtocol.LogEntry(at, "Warning", "slow", "boom")])], []);
        yield return new AdminProtocol.NodeLogs("akka.tcp://loom@h:1", [new AdminProtocol.LogEntry(at, "Information", "up", null)]);
        yield return new AdminProtocol.AskNode("logs", 0, 20, "error", Secret);
        yield return new AdminProtocol.ListRuns(Secret);
        yield return new AdminProtocol.RunList([new RunSummary("r1", "demo", at, Result.Failure, TimeSpan.FromSeconds(2)), new RunSummary("r2", "demo", at, null, null)]);
        yield return new AdminProtocol.GetRun(null, Secret);
        yield return new AdminProtocol.RunFound(new RunSummary("r1", "demo", at, Result.Success, TimeSpan.FromSeconds(2)), [new ClusterProtocol.Serialized(1717, "RunEvents.RunStarted", [1, 2])], true);
        yield return new AdminProtocol.ReadLogs("r1", 42, Secret);
        yield return new AdminProtocol.LogLines([new AdminProtocol.LogLine(43, "build", 1, 0, "hello")], 43, false);
        yield return new AdminProtocol.CancelRun("r1", Secret);
        yield return new AdminProtocol.RetryRun("r1", 4, NoCache: true, Secret);
        yield return new AdminProtocol.Retried("r2", "r1", ["build"]);
        yield return new AdminProtocol.ValidateWorkflow("jobs: {}", ".loom.yml", SkipUses: true, Secret);
        yield return new AdminProtocol.Validated([".loom.yml:1:1: error: no jobs"], [".loom.yml:3:9: warning: uses: step left out"], 0);
    }

    [Fact]
    public void Every_cluster_message_type_has_a_sample_here()
    {
        var covered = Samples().Select(s => s.GetType()).ToHashSet();
        Assert.Empty(ClusterMessageSerializer.MessageTypes.Where(t => !covered.Contains(t)).Select(t => t.FullName));
    }

    [Fact]
    public void Every_cluster_message_round_trips_field_for_field()
    {
        foreach (var message in Samples())
        {
            var serializer = Sys.Serialization.FindSerializerFor(message);
            Assert.IsType<ClusterMessageSerializer>(serializer);
            var bytes = serializer.ToBinary(message);
            var back = Sys.Serialization.Deserialize(bytes, serializer.Identifier, Akka.Serialization.Serialization.ManifestFor(serializer, message));
            Assert.IsType(message.GetType(), back);
            Assert.Equal(bytes, serializer.ToBinary(back));
        }
    }

    [Fact]
    public void A_client_request_carries_its_secret_over_the_wire_and_never_into_its_text()
    {
        var requests = Samples().OfType<IClientRequest>().ToList();
        // Every kind of client request (submit and admin) is among them.
        Assert.Equal(ClusterMessageSerializer.MessageTypes.Count(typeof(IClientRequest).IsAssignableFrom), requests.Select(r => r.GetType()).Distinct().Count());
        foreach (var request in requests)
        {
            var serializer = Sys.Serialization.FindSerializerFor(request);
            var back = (IClientRequest)Sys.Serialization.Deserialize(serializer.ToBinary(request), serializer.Identifier, Akka.Serialization.Serialization.ManifestFor(serializer, request));
            Assert.Equal(Secret, back.Secret);
            Assert.DoesNotContain(Secret, request.ToString());
            Assert.StartsWith(request.GetType().Name + " { ", request.ToString());
        }
        Assert.DoesNotContain("jobs: {}", Samples().OfType<ClusterProtocol.SubmitRun>().Single().ToString());
        Assert.Null(((IClientRequest)new ClusterProtocol.FollowRun("r1")).Secret);
    }

    [Fact]
    public void The_scheduler_reference_in_a_runner_start_still_reaches_it()
    {
        var scheduler = CreateTestProbe();
        var message = new ClusterProtocol.StartRunner("s", "e", "r1", "", new JobSpec("a", "a", 1, new Dictionary<string, string>(), 1, [], new Dictionary<string, string>(), "{}",
            new Dictionary<string, string>()), scheduler.Ref, scheduler.Ref);
        var serializer = Sys.Serialization.FindSerializerFor(message);
        var back = (ClusterProtocol.StartRunner)Sys.Serialization.Deserialize(serializer.ToBinary(message), serializer.Identifier, Akka.Serialization.Serialization.ManifestFor(serializer, message));
        back.Scheduler.Tell("ping");
        scheduler.ExpectMsg("ping");
    }
}
