using CsCheck;
using Loom.Core.Planning;

namespace Loom.Core.Tests.Planning;

/// <summary>Properties of <see cref="JobGraph"/> on random DAGs, each checked against the needs as written.</summary>
public sealed class JobGraphPropertyTests
{
    private const int Iterations = 300;

    /// <summary>Raw picks, reduced modulo the job count where used, so they shrink with the DAG.</summary>
    private static readonly Gen<int[]> Picks = Gen.Int[0, int.MaxValue].Array[0, 8];

    [Fact]
    public void TopologicalOrder_HoldsEveryJobOnceAndEveryNeedFirst()
    {
        RandomDag.Gen.Sample(dag =>
        {
            var order = dag.Graph().TopologicalOrder;

            Assert.Equal(Enumerable.Range(0, dag.Count), order.Order());
            var position = new int[dag.Count];
            for (var p = 0; p < order.Count; p++)
                position[order[p]] = p;
            var needs = dag.Needs;
            for (var job = 0; job < dag.Count; job++)
                Assert.All(needs[job], need => Assert.True(position[need] < position[job]));
        }, iter: Iterations);
    }

    [Fact]
    public void TopologicalOrder_AlwaysTakesTheEarliestReadyJobInFile()
    {
        RandomDag.Gen.Sample(dag =>
        {
            var needs = dag.Needs;
            var done = new bool[dag.Count];
            foreach (var job in dag.Graph().TopologicalOrder)
            {
                var earliestReady = Enumerable.Range(0, dag.Count).First(j => !done[j] && needs[j].All(n => done[n]));
                Assert.Equal(earliestReady, job);
                done[job] = true;
            }
        }, iter: Iterations);
    }

    [Fact]
    public void NeedsAndDependents_AreTheEdgesAsWritten()
    {
        RandomDag.Gen.Sample(dag =>
        {
            var graph = dag.Graph();
            var needs = dag.Needs;

            Assert.Equal(dag.Nodes.Select(n => n.Id), graph.Ids);
            for (var job = 0; job < dag.Count; job++)
            {
                Assert.Equal(needs[job], graph.NeedsOf(job));
                var dependents = Enumerable.Range(0, dag.Count).Where(d => needs[d].Contains(job));
                Assert.Equal(dependents, graph.DependentsOf(job));
            }
        }, iter: Iterations);
    }

    [Fact]
    public void Closure_IsClosedUnderNeedsAndMinimal()
    {
        Gen.Select(RandomDag.Gen, Picks).Sample((dag, picks) =>
        {
            var graph = dag.Graph();
            var needs = dag.Needs;
            var seeds = dag.Count == 0 ? [] : picks.Select(p => p % dag.Count).ToHashSet();

            var closure = graph.Closure(seeds);

            Assert.Superset(seeds, closure.ToHashSet());
            foreach (var job in closure)
                Assert.All(needs[job], need => Assert.Contains(need, closure));
            // Minimal: in a DAG, a set is reached from the seeds exactly when every other member is needed by a member.
            foreach (var job in closure.Except(seeds))
                Assert.Contains(closure, member => needs[member].Contains(job));
        }, iter: Iterations);
    }

    [Fact]
    public void AncestorsAndDescendants_AgreeWithANaiveFixpoint()
    {
        RandomDag.Gen.Sample(dag =>
        {
            var graph = dag.Graph();
            var ancestors = NaiveAncestors(dag.Needs);
            var order = graph.TopologicalOrder.ToList();

            for (var job = 0; job < dag.Count; job++)
            {
                var expectedAncestors = ancestors[job].OrderBy(order.IndexOf);
                Assert.Equal(expectedAncestors, graph.Ancestors(job));
                var expectedDescendants = Enumerable.Range(0, dag.Count).Where(d => ancestors[d].Contains(job)).OrderBy(order.IndexOf);
                Assert.Equal(expectedDescendants, graph.Descendants(job));
            }
        }, iter: 100);
    }

    [Fact]
    public void Subgraph_KeepsExactlyTheEdgesBetweenKeptJobs()
    {
        Gen.Select(RandomDag.Gen, Gen.Int[0, int.MaxValue].Array[0, RandomDag.MaxJobs]).Sample((dag, picks) =>
        {
            var graph = dag.Graph();
            var needs = dag.Needs;
            var keep = dag.Count == 0 ? [] : picks.Select(p => p % dag.Count).ToHashSet();

            var sub = graph.Subgraph(keep);

            Assert.Equal(keep.Order().Select(graph.IdOf), sub.Ids);
            for (var s = 0; s < sub.Count; s++)
            {
                var original = graph.IndexOf(sub.IdOf(s));
                Assert.Equal(needs[original].Where(keep.Contains).Select(graph.IdOf), sub.IdsOf(sub.NeedsOf(s)));
            }
            Assert.Equal(sub.Count, sub.TopologicalOrder.Distinct().Count());
        }, iter: Iterations);
    }

    [Fact]
    public void CriticalPath_IsARealPathAndNoPathIsHeavier()
    {
        Gen.Select(RandomDag.Gen, Gen.Int[0, 100].Array[RandomDag.MaxJobs]).Sample((dag, weights) =>
        {
            var graph = dag.Graph();
            var needs = dag.Needs;

            var path = graph.CriticalPath(job => weights[job]);

            if (dag.Count == 0)
            {
                Assert.Empty(path);
                return;
            }
            Assert.Empty(needs[path[0]]);
            for (var k = 1; k < path.Count; k++)
                Assert.Contains(path[k - 1], needs[path[k]]);
            // Integer weights keep every sum exact, so the comparison can be strict.
            Assert.Equal(HeaviestByRelaxation(needs, weights), path.Sum(job => (long)weights[job]));
            if (dag.Count <= 12)
                Assert.Equal(HeaviestByEnumeration(needs, weights), path.Sum(job => (long)weights[job]));
        }, iter: Iterations);
    }

    [Fact]
    public void CriticalPath_WithUnitWeights_HasOneJobPerLevel()
    {
        RandomDag.Gen.Sample(dag =>
        {
            var graph = dag.Graph();
            var depth = dag.Count == 0 ? 0 : graph.Levels().Max() + 1;

            Assert.Equal(depth, graph.CriticalPath(_ => 1).Count);
        }, iter: Iterations);
    }

    [Fact]
    public void Levels_AreZeroOrOneMoreThanTheDeepestNeed()
    {
        RandomDag.Gen.Sample(dag =>
        {
            var levels = dag.Graph().Levels();
            var needs = dag.Needs;

            for (var job = 0; job < dag.Count; job++)
                Assert.Equal(needs[job].Length == 0 ? 0 : needs[job].Max(n => levels[n]) + 1, levels[job]);
        }, iter: Iterations);
    }

    /// <summary>
    /// A scheduler as the runner would write one: start what is ready (up to a parallelism limit, 0 for
    /// none), finish it, release dependents. Checked against the needs as written.
    /// </summary>
    [Fact]
    public void Scheduler_RunsEveryJobOnceAndNeverBeforeItsNeeds()
    {
        Gen.Select(RandomDag.Gen, Gen.Int[0, 4]).Sample((dag, maxParallel) =>
        {
            var graph = dag.Graph();
            var needs = dag.Needs;
            var remaining = Enumerable.Range(0, graph.Count).Select(j => graph.NeedsOf(j).Count).ToArray();
            var ready = new SortedSet<int>(Enumerable.Range(0, graph.Count).Where(j => remaining[j] == 0));
            var finishedInRound = Enumerable.Repeat(-1, graph.Count).ToArray();
            var runs = new int[graph.Count];
            var round = 0;

            while (ready.Count > 0)
            {
                var batch = ready.Take(maxParallel == 0 ? ready.Count : maxParallel).ToArray();
                foreach (var job in batch)
                {
                    Assert.All(needs[job], need => Assert.InRange(finishedInRound[need], 0, round - 1));
                    runs[job]++;
                    ready.Remove(job);
                }
                foreach (var job in batch)
                {
                    finishedInRound[job] = round;
                    foreach (var dependent in graph.DependentsOf(job))
                        if (--remaining[dependent] == 0)
                            ready.Add(dependent);
                }
                round++;
            }

            Assert.All(runs, count => Assert.Equal(1, count));
            if (maxParallel == 0)
                Assert.Equal(graph.Levels(), finishedInRound);
        }, iter: Iterations);
    }

    [Fact]
    public void InjectedBackEdge_IsRejectedWithACycleOfRealEdges()
    {
        Gen.Select(RandomDag.Gen, Gen.Int[0, int.MaxValue], Gen.Int[0, int.MaxValue]).Sample((dag, pickLate, pickEarly) =>
        {
            var graph = dag.Graph();
            var late = Enumerable.Range(0, dag.Count).Where(j => graph.Ancestors(j).Count > 0).ToArray();
            if (late.Length == 0)
                return;
            var to = late[pickLate % late.Length];
            var ancestors = graph.Ancestors(to);
            var from = ancestors[pickEarly % ancestors.Count];
            // `from` already leads to `to`; making it need `to` closes a cycle.
            var nodes = dag.Nodes.ToArray();
            nodes[from] = nodes[from] with { Needs = [.. nodes[from].Needs, nodes[to].Id] };

            var result = JobGraph.Build(nodes);

            Assert.Null(result.Graph);
            Assert.Empty(result.UnknownNeeds);
            Assert.Empty(result.SelfDependencies);
            var cycle = result.Cycle!;
            Assert.True(cycle.Count >= 3, string.Join(" -> ", cycle));
            Assert.Equal(cycle[0], cycle[^1]);
            Assert.Equal(cycle.Count - 1, cycle.Distinct().Count());
            var needsById = nodes.ToDictionary(n => n.Id, n => n.Needs);
            for (var k = 1; k < cycle.Count; k++)
                Assert.Contains(cycle[k], needsById[cycle[k - 1]]);
        }, iter: Iterations);
    }

    private static HashSet<int>[] NaiveAncestors(int[][] needs)
    {
        var ancestors = needs.Select(n => n.ToHashSet()).ToArray();
        for (var changed = true; changed;)
        {
            changed = false;
            foreach (var set in ancestors)
                foreach (var need in set.ToArray())
                    foreach (var further in ancestors[need])
                        changed |= set.Add(further);
        }
        return ancestors;
    }

    /// <summary>Bellman-Ford style: relax every edge until nothing improves. O(V·E), no ordering assumed.</summary>
    private static long HeaviestByRelaxation(int[][] needs, int[] weights)
    {
        var best = Enumerable.Range(0, needs.Length).Select(j => (long)weights[j]).ToArray();
        for (var changed = true; changed;)
        {
            changed = false;
            for (var job = 0; job < needs.Length; job++)
                foreach (var need in needs[job])
                    if (best[need] + weights[job] > best[job])
                    {
                        best[job] = best[need] + weights[job];
                        changed = true;
                    }
        }
        return best.Max();
    }

    /// <summary>Every path, walked from every job towards its needs.</summary>
    private static long HeaviestByEnumeration(int[][] needs, int[] weights)
    {
        long Walk(int job) => weights[job] + needs[job].Select(Walk).DefaultIfEmpty(0).Max();
        return Enumerable.Range(0, needs.Length).Max(Walk);
    }
}
