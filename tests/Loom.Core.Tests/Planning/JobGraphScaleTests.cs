using Loom.Core.Planning;
using static Loom.Core.Tests.Planning.Workflows;

namespace Loom.Core.Tests.Planning;

/// <summary>
/// The spec allows 100 000 jobs. Each test runs on a thread with a 256 KiB stack, so any walk that
/// recursed per job would overflow here rather than pass on a roomy test-runner stack.
/// </summary>
public sealed class JobGraphScaleTests
{
    private const int Jobs = 100_000;

    [Fact]
    public void Chain_AllOperationsFinish() => OnSmallStack(() =>
    {
        var nodes = Enumerable.Range(0, Jobs).Select(i => i == 0 ? Node("j0") : Node($"j{i}", $"j{i - 1}")).ToArray();
        var graph = Graph(nodes);
        var last = Jobs - 1;

        Assert.Equal(Enumerable.Range(0, Jobs), graph.TopologicalOrder);
        Assert.Equal(Jobs, graph.Closure([last]).Count);
        Assert.Equal(Jobs, graph.CriticalPath(_ => 1).Count);
        Assert.Equal(last, graph.Ancestors(last).Count);
        Assert.Equal(last, graph.Descendants(0).Count);
        Assert.Equal(last, graph.Levels()[last]);
        Assert.Equal(Jobs, graph.Subgraph(graph.Closure([last])).Count);
    });

    [Fact]
    public void ChainWrittenBackwards_IsOrderedFromTheEnd() => OnSmallStack(() =>
    {
        var nodes = Enumerable.Range(0, Jobs).Select(i => i == Jobs - 1 ? Node($"j{i}") : Node($"j{i}", $"j{i + 1}")).ToArray();
        var graph = Graph(nodes);

        Assert.Equal(Enumerable.Range(0, Jobs).Reverse(), graph.TopologicalOrder);
        Assert.Equal(Jobs, graph.Closure([0]).Count);
        Assert.Equal(Jobs, graph.CriticalPath(_ => 1).Count);
    });

    [Fact]
    public void ChainClosedIntoACycle_IsReportedWhole() => OnSmallStack(() =>
    {
        var nodes = Enumerable.Range(0, Jobs).Select(i => Node($"j{i}", $"j{(i + Jobs - 1) % Jobs}")).ToArray();

        var cycle = JobGraph.Build(nodes).Cycle!;

        Assert.Equal(Jobs + 1, cycle.Count);
        Assert.Equal(cycle[0], cycle[^1]);
    });

    [Fact]
    public void Random_AllOperationsAndRenderingFinish() => OnSmallStack(() =>
    {
        var random = new Random(20_240_601);
        var position = Enumerable.Range(0, Jobs).ToArray();
        random.Shuffle(position);
        var jobs = new Model.Job[Jobs];
        for (var rank = 0; rank < Jobs; rank++)
        {
            var needs = rank == 0 ? [] : Enumerable.Range(0, random.Next(4)).Select(_ => $"j{random.Next(rank)}").ToArray();
            jobs[position[rank]] = Job($"j{rank}", needs);
        }
        var workflow = Of("big", jobs);
        var graph = JobGraph.FromWorkflow(workflow);

        var order = graph.TopologicalOrder;
        var placed = new bool[Jobs];
        foreach (var job in order)
        {
            Assert.All(graph.NeedsOf(job), need => Assert.True(placed[need]));
            placed[job] = true;
        }
        Assert.All(placed, Assert.True);
        var closure = graph.Closure([order[^1]]);
        Assert.All(closure, job => Assert.All(graph.NeedsOf(job), need => Assert.Contains(need, closure)));
        var path = graph.CriticalPath(job => job % 7);
        Assert.All(path.Skip(1).Zip(path), pair => Assert.Contains(pair.Second, graph.NeedsOf(pair.First)));
        foreach (var format in Enum.GetValues<GraphFormat>())
            Assert.NotEmpty(GraphRenderer.Render(workflow, graph, format));
    });

    private static void OnSmallStack(Action test)
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                test();
            }
            catch (Exception e)
            {
                failure = e;
            }
        }, maxStackSize: 256 * 1024);
        thread.Start();
        thread.Join();
        if (failure is not null)
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
    }
}
