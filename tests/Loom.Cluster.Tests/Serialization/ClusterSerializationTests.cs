using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit.Xunit2;
using Loom.Actors.Protocol;
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
        yield return new ClusterProtocol.SubmitRun("r1", "jobs: {}", ".loom.yml", "", ["build"], 3, new RunContexts(env, "{}", env, env, env), true, false, Follow: true) { Secret = Secret };
        yield return new ClusterProtocol.FollowRun("r1") { Secret = Secret };
        yield return new ClusterProtocol.Following("r1", true, Result.Failure, TimeSpan.FromSeconds(3));
        yield return new ClusterProtocol.CancelRun("r1", "interrupted") { Secret = Secret };
        yield return new ClusterProtocol.FindMissingBlobs([new string('a', 64)]) { Secret = Secret };
        yield return new ClusterProtocol.BlobsMissing([new string('b', 64)]);
        yield return new ClusterProtocol.BlobChunk(new string('a', 64), 65536, 70000, [1, 2, 3]) { Secret = Secret };
        yield return new ClusterProtocol.BlobStored(new string('a', 64), null);
        yield return new ClusterProtocol.Refused("wrong cluster secret");
        yield return Dispatcher.GetPlacements.Instance;
        yield return new Dispatcher.Placements([new Dispatcher.NodePlacements("akka.tcp://loom@h:1", ["*"], 4, 2, true)], 3);
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
        Assert.Equal(5, requests.Count);
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
