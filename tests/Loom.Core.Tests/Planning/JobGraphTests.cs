using Loom.Core.Planning;
using static Loom.Core.Tests.Planning.Workflows;

namespace Loom.Core.Tests.Planning;

public sealed class JobGraphTests
{
    /// <summary>
    /// restore, lint -> build -> test, package -> deploy; docs stands alone.
    /// Indices: restore 0, lint 1, build 2, test 3, package 4, deploy 5, docs 6.
    /// </summary>
    private static JobGraph Ci() => Graph(
        Node("restore"),
        Node("lint"),
        Node("build", "restore", "lint"),
        Node("test", "build"),
        Node("package", "build"),
        Node("deploy", "test", "package"),
        Node("docs"));

    [Fact]
    public void Build_ThreeCycle_ReportsTheCycleInNeedOrder()
    {
        // a needs c, c needs b, b needs a.
        var result = JobGraph.Build([Node("a", "c"), Node("b", "a"), Node("c", "b")]);

        Assert.Null(result.Graph);
        Assert.Equal("a -> c -> b -> a", string.Join(" -> ", result.Cycle!));
        Assert.Empty(result.UnknownNeeds);
        Assert.Empty(result.SelfDependencies);
    }

    [Fact]
    public void Build_SpecExampleCycle_MatchesTheSpecText()
    {
        var result = JobGraph.Build([Node("deploy", "test"), Node("test", "build"), Node("build", "deploy")]);

        Assert.Equal("deploy -> test -> build -> deploy", string.Join(" -> ", result.Cycle!));
    }

    [Fact]
    public void Build_CycleBehindAnAcyclicPrefix_ReportsOnlyTheCycle()
    {
        var result = JobGraph.Build([Node("entry", "x"), Node("x", "y"), Node("y", "z"), Node("z", "x")]);

        Assert.Equal(["x", "y", "z", "x"], result.Cycle!);
    }

    [Fact]
    public void Build_SelfDependency_IsReportedOnceAndIsNotACycle()
    {
        var result = JobGraph.Build([Node("a"), Node("b", "a", "b", "b")]);

        Assert.Null(result.Graph);
        Assert.Equal([1], result.SelfDependencies);
        Assert.Null(result.Cycle);
        Assert.Empty(result.UnknownNeeds);
    }

    [Fact]
    public void Build_UnknownNeed_NamesTheJobAndTheNeedEntry()
    {
        var result = JobGraph.Build([Node("build"), Node("test", "build", "buld")]);

        Assert.Null(result.Graph);
        Assert.Equal([new UnknownNeed(1, 1, "buld")], result.UnknownNeeds);
        Assert.Null(result.Cycle);
    }

    [Fact]
    public void Build_UnknownNeedAndCycle_AreBothReported()
    {
        var result = JobGraph.Build([Node("a", "b", "ghost"), Node("b", "a")]);

        Assert.Single(result.UnknownNeeds);
        Assert.Equal(["a", "b", "a"], result.Cycle!);
    }

    [Fact]
    public void Build_RepeatedNeed_BecomesOneEdge()
    {
        var graph = Graph(Node("a"), Node("b", "a", "a"));

        Assert.Equal([0], graph.NeedsOf(1));
        Assert.Equal([1], graph.DependentsOf(0));
    }

    [Fact]
    public void TopologicalOrder_IndependentJobs_KeepFileOrder()
    {
        var graph = Graph(Node("c"), Node("a"), Node("b"));

        Assert.Equal([0, 1, 2], graph.TopologicalOrder);
    }

    [Fact]
    public void TopologicalOrder_Ties_GoToTheEarliestReadyJobInFile()
    {
        // z comes first in the file but needs y; once y is done z beats x, which is later in the file.
        var graph = Graph(Node("z", "y"), Node("y"), Node("x"));

        Assert.Equal(["y", "z", "x"], graph.IdsOf(graph.TopologicalOrder));
    }

    [Fact]
    public void TopologicalOrder_Ci_IsFileOrder()
    {
        Assert.Equal([0, 1, 2, 3, 4, 5, 6], Ci().TopologicalOrder);
    }

    [Fact]
    public void FromWorkflow_KeepsWorkflowIndices()
    {
        var workflow = Of("ci", Job("test", "build"), Job("build"), Titled("deploy", "Ship it", "test"));

        var graph = JobGraph.FromWorkflow(workflow);

        Assert.Equal(["test", "build", "deploy"], graph.Ids);
        Assert.Equal([1], graph.NeedsOf(0));
        Assert.Equal([1, 0, 2], graph.TopologicalOrder);
    }

    [Fact]
    public void FromWorkflow_Cycle_ThrowsWithTheCycle()
    {
        var workflow = Of("ci", Job("a", "b"), Job("b", "a"));

        var error = Assert.Throws<InvalidOperationException>(() => JobGraph.FromWorkflow(workflow));
        Assert.Contains("dependency cycle: a -> b -> a", error.Message);
    }

    [Fact]
    public void FromWorkflow_UnknownNeedAndSelfDependency_ThrowNamingBoth()
    {
        var workflow = Of("ci", Job("a", "a"), Job("b", "nope"));

        var error = Assert.Throws<InvalidOperationException>(() => JobGraph.FromWorkflow(workflow));
        Assert.Contains("job 'b' needs 'nope', which does not exist", error.Message);
        Assert.Contains("job 'a' needs itself", error.Message);
    }

    [Fact]
    public void FromWorkflow_DuplicateIds_Throw()
    {
        var workflow = Of("ci", Job("a"), Job("b", "a"), Job("a"));

        var error = Assert.Throws<InvalidOperationException>(() => JobGraph.FromWorkflow(workflow));
        Assert.Contains("duplicate job id 'a'", error.Message);
    }

    [Fact]
    public void Closure_AddsEverythingTransitivelyNeeded()
    {
        var graph = Ci();

        Assert.Equal(["build", "lint", "restore", "test"], graph.IdsOf(graph.Closure([3])).Order());
        Assert.Equal(7, graph.Closure([5, 6]).Count);
        Assert.Equal([6], graph.Closure([6, 6]));
        Assert.Empty(graph.Closure([]));
    }

    [Fact]
    public void Closure_UnknownIndex_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Ci().Closure([7]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Ci().Closure([-1]));
    }

    [Fact]
    public void Subgraph_KeepsFileOrderAndDropsNeedsOnDroppedJobs()
    {
        var graph = Ci();

        var sub = graph.Subgraph(new HashSet<int> { 5, 1, 3 });

        Assert.Equal(["lint", "test", "deploy"], sub.Ids);
        Assert.Empty(sub.NeedsOf(sub.IndexOf("test")));
        Assert.Equal(["test"], sub.IdsOf(sub.NeedsOf(sub.IndexOf("deploy"))));
        Assert.Equal(["deploy"], sub.IdsOf(sub.DependentsOf(sub.IndexOf("test"))));
        Assert.False(sub.Contains("build"));
        Assert.Equal([0, 1, 2], sub.TopologicalOrder);
    }

    [Fact]
    public void Subgraph_OfAClosure_IsWhatRunJobRuns()
    {
        var graph = Ci();

        var sub = graph.Subgraph(graph.Closure([graph.IndexOf("test")]));

        Assert.Equal(["restore", "lint", "build", "test"], sub.Ids);
        Assert.Equal(["restore", "lint"], sub.IdsOf(sub.NeedsOf(sub.IndexOf("build"))));
        Assert.Equal(["restore", "lint", "build", "test"], sub.IdsOf(sub.TopologicalOrder));
    }

    [Fact]
    public void Subgraph_Empty_IsAnEmptyGraph()
    {
        var sub = Ci().Subgraph(new HashSet<int>());

        Assert.Equal(0, sub.Count);
        Assert.Empty(sub.TopologicalOrder);
        Assert.Empty(sub.CriticalPath(_ => 1));
    }

    [Fact]
    public void AncestorsAndDescendants_AreTransitiveInTopologicalOrder()
    {
        var graph = Ci();

        Assert.Equal(["restore", "lint", "build", "test", "package"], graph.IdsOf(graph.Ancestors(5)));
        Assert.Equal(["restore", "lint"], graph.IdsOf(graph.Ancestors(2)));
        Assert.Empty(graph.Ancestors(0));
        Assert.Equal(["build", "test", "package", "deploy"], graph.IdsOf(graph.Descendants(0)));
        Assert.Equal(["deploy"], graph.IdsOf(graph.Descendants(4)));
        Assert.Empty(graph.Descendants(6));
        Assert.Throws<ArgumentOutOfRangeException>(() => graph.Ancestors(7));
        Assert.Throws<ArgumentOutOfRangeException>(() => graph.Descendants(-1));
    }

    [Fact]
    public void CriticalPath_UnitWeights_IsTheLongestChainWithTiesToFileOrder()
    {
        var graph = Ci();

        Assert.Equal(["restore", "build", "test", "deploy"], graph.IdsOf(graph.CriticalPath(_ => 1)));
    }

    [Fact]
    public void CriticalPath_FollowsWeightNotLength()
    {
        var graph = Ci();
        double[] minutes = [1, 5, 1, 1, 10, 1, 3];

        Assert.Equal(["lint", "build", "package", "deploy"], graph.IdsOf(graph.CriticalPath(i => minutes[i])));

        // One heavy job outweighs a whole chain.
        double[] heavyDocs = [1, 1, 1, 1, 1, 1, 100];
        Assert.Equal(["docs"], graph.IdsOf(graph.CriticalPath(i => heavyDocs[i])));
    }

    [Fact]
    public void CriticalPath_CallsWeightOncePerJob()
    {
        var graph = Ci();
        var calls = new int[graph.Count];

        graph.CriticalPath(i => ++calls[i]);

        Assert.All(calls, c => Assert.Equal(1, c));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void CriticalPath_RejectsWeightsThatAreNotDurations(double bad)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Ci().CriticalPath(i => i == 3 ? bad : 1));
        Assert.Contains("'test'", error.Message);
    }

    [Fact]
    public void Levels_AreOneMoreThanTheDeepestNeed()
    {
        Assert.Equal([0, 0, 1, 2, 2, 3, 0], Ci().Levels());
    }

    [Fact]
    public void Levels_UseTheDeepestNeedNotTheFirst()
    {
        var graph = Graph(Node("a"), Node("b", "a"), Node("c", "a", "b"));

        Assert.Equal([0, 1, 2], graph.Levels());
    }
}
