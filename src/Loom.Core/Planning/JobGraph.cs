namespace Loom.Core.Planning;

/// <summary>One job as the graph sees it: an id and the ids it needs.</summary>
public readonly record struct JobNode(string Id, IReadOnlyList<string> Needs);

/// <summary>A need that names no job: <paramref name="JobIndex"/> is the job, <paramref name="NeedIndex"/> the entry in its <c>needs</c>.</summary>
public readonly record struct UnknownNeed(int JobIndex, int NeedIndex, string Need);

/// <summary>The outcome of <see cref="JobGraph.Build"/>: a graph, or what stopped it.</summary>
public sealed record GraphBuildResult(
    JobGraph? Graph,
    IReadOnlyList<UnknownNeed> UnknownNeeds,
    IReadOnlyList<int> SelfDependencies,
    IReadOnlyList<string>? Cycle);

/// <summary>
/// The dependency DAG over job indices (file order). Built in O(V+E); immutable once built.
/// Edges point from a need to the job that needs it.
/// </summary>
public sealed partial class JobGraph
{
    private readonly string[] ids;
    private readonly Dictionary<string, int> indexById;
    private readonly int[][] needs;
    private readonly int[][] dependents;
    private readonly int[] topologicalOrder;

    private JobGraph(string[] ids, Dictionary<string, int> indexById, int[][] needs, int[][] dependents, int[] topologicalOrder)
    {
        this.ids = ids;
        this.indexById = indexById;
        this.needs = needs;
        this.dependents = dependents;
        this.topologicalOrder = topologicalOrder;
    }

    public int Count => ids.Length;

    public IReadOnlyList<string> Ids => ids;

    public string IdOf(int index) => ids[index];

    public int IndexOf(string id) => indexById[id];

    public bool Contains(string id) => indexById.ContainsKey(id);

    /// <summary>Direct needs of a job (deduplicated).</summary>
    public IReadOnlyList<int> NeedsOf(int index) => needs[index];

    /// <summary>Jobs that directly need this one.</summary>
    public IReadOnlyList<int> DependentsOf(int index) => dependents[index];

    /// <summary>Every job after all of its needs; ties keep file order.</summary>
    public IReadOnlyList<int> TopologicalOrder => topologicalOrder;

    public static GraphBuildResult Build(IReadOnlyList<JobNode> nodes)
    {
        var count = nodes.Count;
        var ids = new string[count];
        var indexById = new Dictionary<string, int>(count, StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            ids[i] = nodes[i].Id;
            indexById.TryAdd(nodes[i].Id, i);
        }

        var unknown = new List<UnknownNeed>();
        var selfDependencies = new List<int>();
        var needs = new int[count][];
        var seen = new HashSet<int>();
        for (var i = 0; i < count; i++)
        {
            seen.Clear();
            var list = new List<int>(nodes[i].Needs.Count);
            for (var n = 0; n < nodes[i].Needs.Count; n++)
            {
                var need = nodes[i].Needs[n];
                if (!indexById.TryGetValue(need, out var target))
                    unknown.Add(new UnknownNeed(i, n, need));
                else if (!seen.Add(target))
                    continue; // a repeated need adds nothing; `needs: [a, a]` inside `a` is one mistake, not two
                else if (target == i)
                    selfDependencies.Add(i);
                else
                    list.Add(target);
            }
            needs[i] = list.ToArray();
        }

        var dependents = Invert(needs);
        var order = TopologicalSort(needs, dependents);
        if (order is null)
            return new GraphBuildResult(null, unknown, selfDependencies, FindCycle(ids, needs));
        if (unknown.Count > 0 || selfDependencies.Count > 0)
            return new GraphBuildResult(null, unknown, selfDependencies, null);
        return new GraphBuildResult(new JobGraph(ids, indexById, needs, dependents, order), unknown, selfDependencies, null);
    }

    /// <summary>Dependents from needs; each list comes out in ascending index (file) order.</summary>
    private static int[][] Invert(int[][] needs)
    {
        var count = needs.Length;
        var sizes = new int[count];
        foreach (var list in needs)
            foreach (var need in list)
                sizes[need]++;
        var dependents = new int[count][];
        for (var i = 0; i < count; i++)
            dependents[i] = new int[sizes[i]];
        var fill = new int[count];
        for (var i = 0; i < count; i++)
            foreach (var need in needs[i])
                dependents[need][fill[need]++] = i;
        return dependents;
    }

    /// <summary>Kahn's algorithm with a min-heap on index so ties keep file order; null when a cycle remains.</summary>
    private static int[]? TopologicalSort(int[][] needs, int[][] dependents)
    {
        var count = needs.Length;
        var remaining = new int[count];
        var ready = new PriorityQueue<int, int>();
        for (var i = 0; i < count; i++)
        {
            remaining[i] = needs[i].Length;
            if (remaining[i] == 0)
                ready.Enqueue(i, i);
        }
        var order = new int[count];
        var placed = 0;
        while (ready.TryDequeue(out var job, out _))
        {
            order[placed++] = job;
            foreach (var dependent in dependents[job])
                if (--remaining[dependent] == 0)
                    ready.Enqueue(dependent, dependent);
        }
        return placed == count ? order : null;
    }

    /// <summary>
    /// One cycle, as ids in need order and closed (<c>a -> b -> a</c> means a needs b, b needs a).
    /// Iterative DFS so a 100 000-job chain cannot overflow the stack.
    /// </summary>
    private static IReadOnlyList<string> FindCycle(string[] ids, int[][] needs)
    {
        var count = needs.Length;
        var colour = new byte[count]; // 0 new, 1 on stack, 2 done
        var stack = new Stack<(int Job, int Next)>();
        var path = new List<int>();
        for (var root = 0; root < count; root++)
        {
            if (colour[root] != 0)
                continue;
            stack.Push((root, 0));
            colour[root] = 1;
            path.Add(root);
            while (stack.Count > 0)
            {
                var (job, next) = stack.Pop();
                if (next < needs[job].Length)
                {
                    stack.Push((job, next + 1));
                    var need = needs[job][next];
                    if (colour[need] == 1)
                    {
                        var start = path.LastIndexOf(need);
                        var cycle = path.Skip(start).Select(i => ids[i]).ToList();
                        cycle.Add(ids[need]);
                        return cycle;
                    }
                    if (colour[need] == 0)
                    {
                        colour[need] = 1;
                        path.Add(need);
                        stack.Push((need, 0));
                    }
                }
                else
                {
                    colour[job] = 2;
                    path.RemoveAt(path.Count - 1);
                }
            }
        }
        return [];
    }
}
