using System.Globalization;
using Akka.Actor;
using Loom.Actors.Protocol;
using Loom.Cluster.Hosting;
using Loom.Cluster.Protocol;
using Loom.Core.Model;

namespace Loom.Cluster.Tests.Coordination;

/// <summary>Three real nodes in this process: a run's jobs spread over them, within each node's capacity and labels.</summary>
public sealed class PlacementTests : IAsyncLifetime
{
    private readonly string scratch = Directory.CreateTempSubdirectory("loom-placement-").FullName;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        Directory.Delete(scratch, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Twelve_sleeping_jobs_on_three_nodes_of_capacity_two_run_at_most_two_per_node_and_at_least_five_at_once()
    {
        await using var cluster = await TestCluster.StartAsync(null,
            new NodeOptions { Capacity = 2 }, new NodeOptions { Capacity = 2 }, new NodeOptions { Capacity = 2 });
        var log = Path.Combine(scratch, "spans");
        var jobs = string.Concat(Enumerable.Range(1, 12).Select(i => $$"""
              j{{i}}:
                steps:
                  - run: |
                      echo "$LOOM_NODE start $(date +%s.%N)" >> {{log}}
                      sleep 1
                      echo "$LOOM_NODE end $(date +%s.%N)" >> {{log}}

            """));
        var finished = await RunAsync(cluster, "jobs:\n" + jobs);

        Assert.Equal(Result.Success, finished.Result);
        var spans = Spans(log);
        Assert.Equal(12, spans.Count);
        Assert.Equal(3, spans.Select(s => s.Node).Distinct().Count());
        foreach (var node in spans.GroupBy(s => s.Node))
            Assert.True(MostAtOnce(node) <= 2, $"{node.Key} ran {MostAtOnce(node)} jobs at once");
        Assert.True(MostAtOnce(spans) >= 5, $"at most {MostAtOnce(spans)} jobs ran at once");
    }

    [Fact]
    public async Task Jobs_run_only_on_nodes_with_their_labels_and_a_label_no_node_has_fails_the_job_with_why()
    {
        await using var cluster = await TestCluster.StartAsync(null,
            new NodeOptions { Labels = ["linux"] }, new NodeOptions { Labels = ["linux", "gpu"] }, new NodeOptions { Labels = ["linux", "arm"] });
        var gpuNode = Akka.Cluster.Cluster.Get(cluster.Systems[1]).SelfAddress.ToString();
        var jobs = string.Concat(Enumerable.Range(1, 6).Select(i => $$"""
              train{{i}}:
                runs-on: [gpu]
                steps:
                  - run: echo "ran-on $LOOM_NODE"

            """));
        var (finished, notifications) = await RunWithNotificationsAsync(cluster, "jobs:\n" + jobs + """
              quantum:
                runs-on: [qpu, linux]
                steps:
                  - run: echo never
            """);

        Assert.Equal(Result.Failure, finished.Result);
        // Named after the submitter's folder, not the coordinator's.
        Assert.Equal("project", notifications.OfType<RunEvents.RunStarted>().Single().Workflow);
        var nodes = notifications.OfType<RunEvents.OutputLine>().Where(l => l.Line.StartsWith("ran-on ")).Select(l => l.Line["ran-on ".Length..]).ToList();
        Assert.True(nodes.Count == 6, string.Join("\n", notifications));
        Assert.All(nodes, node => Assert.Equal(gpuNode, node));
        var quantum = Assert.Single(notifications.OfType<RunEvents.JobFinished>(), f => f.JobId == "quantum");
        Assert.Equal(Result.Failure, quantum.Result);
        Assert.Contains("no node of the cluster serves runs-on [qpu, linux]", quantum.Error);
    }

    private static async Task<RunEvents.RunFinished> RunAsync(TestCluster cluster, string workflow) => (await RunWithNotificationsAsync(cluster, workflow)).Finished;

    private static async Task<(RunEvents.RunFinished Finished, List<object> Notifications)> RunWithNotificationsAsync(TestCluster cluster, string workflow)
    {
        var system = cluster.Systems[0];
        var inbox = Inbox.Create(system);
        var runId = "r" + Guid.NewGuid().ToString("N")[..8];
        cluster.Coordinator().Tell(new ClusterProtocol.SubmitRun(runId, workflow, "/submitter/project/.loom.yml", ".loom.yml", "", [], null, RunContexts.Empty, false, false, Follow: true), inbox.Receiver);
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        var received = new List<object>();
        while (true)
        {
            var message = await inbox.ReceiveAsync(deadline - DateTime.UtcNow);
            // In one process nothing is lost on the way: the relay's numbered notices come in order.
            if (message is ClusterProtocol.RunNotice notice)
                message = notice.Notification.Open(system.Serialization);
            received.Add(message);
            switch (message)
            {
                case RunEvents.RunFinished finished:
                    return (finished, received);
                case LoomProtocol.RunRejected rejected:
                    throw new InvalidOperationException(string.Join("\n", rejected.Errors));
            }
        }
    }

    private sealed record Span(string Node, double Start, double End);

    private static List<Span> Spans(string log)
    {
        var starts = new Dictionary<string, Queue<double>>();
        var spans = new List<Span>();
        var lines = File.ReadAllLines(log).Select(l => l.Split(' ')).ToList();
        foreach (var group in lines.GroupBy(p => p[0]))
        {
            var s = group.Where(p => p[1] == "start").Select(p => double.Parse(p[2], CultureInfo.InvariantCulture)).Order().ToList();
            var e = group.Where(p => p[1] == "end").Select(p => double.Parse(p[2], CultureInfo.InvariantCulture)).Order().ToList();
            spans.AddRange(s.Zip(e, (a, b) => new Span(group.Key, a, b)));
        }
        return spans;
    }

    /// <summary>The most spans open at one instant.</summary>
    private static int MostAtOnce(IEnumerable<Span> spans)
    {
        var most = 0;
        var open = 0;
        foreach (var (_, delta) in spans.SelectMany(s => new[] { (s.Start, 1), (s.End, -1) }).OrderBy(p => p.Item1).ThenBy(p => p.Item2))
            most = Math.Max(most, open += delta);
        return most;
    }
}
