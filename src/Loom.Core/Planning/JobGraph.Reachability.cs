using System.Diagnostics;

namespace Loom.Core.Planning;

public sealed partial class JobGraph
{
    /// <summary>
    /// The given jobs plus everything they transitively need: what <c>loom run --job X</c> must run.
    /// O(V+E).
    /// </summary>
    public IReadOnlySet<int> Closure(IEnumerable<int> jobs)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        var marked = new bool[Count];
        var pending = new Stack<int>();
        var found = 0;
        foreach (var job in jobs)
        {
            CheckIndex(job, nameof(jobs));
            if (!marked[job])
            {
                marked[job] = true;
                pending.Push(job);
                found++;
            }
        }
        found += Mark(needs, marked, pending);
        var closure = new HashSet<int>(found);
        for (var i = 0; i < marked.Length; i++)
            if (marked[i])
                closure.Add(i);
        return closure;
    }

    /// <summary>Every job this one transitively needs, in <see cref="TopologicalOrder"/>. O(V+E).</summary>
    public IReadOnlyList<int> Ancestors(int job) => Transitive(job, needs);

    /// <summary>Every job that transitively needs this one, in <see cref="TopologicalOrder"/>. O(V+E).</summary>
    public IReadOnlyList<int> Descendants(int job) => Transitive(job, dependents);

    /// <summary>
    /// A new graph over only <paramref name="keep"/>, in file order; needs on dropped jobs are removed.
    /// Its indices are its own: map back through <see cref="Ids"/> and <see cref="IndexOf"/>.
    /// </summary>
    public JobGraph Subgraph(IReadOnlySet<int> keep)
    {
        ArgumentNullException.ThrowIfNull(keep);
        var kept = new bool[Count];
        foreach (var job in keep)
        {
            CheckIndex(job, nameof(keep));
            kept[job] = true;
        }
        var newIndex = new int[Count];
        var subCount = 0;
        for (var i = 0; i < newIndex.Length; i++)
            newIndex[i] = kept[i] ? subCount++ : -1;

        var subIds = new string[subCount];
        var subIndexById = new Dictionary<string, int>(subCount, StringComparer.Ordinal);
        var subNeeds = new int[subCount][];
        for (var i = 0; i < newIndex.Length; i++)
        {
            var at = newIndex[i];
            if (at < 0)
                continue;
            subIds[at] = ids[i];
            subIndexById.TryAdd(ids[i], at);
            subNeeds[at] = needs[i].Where(n => newIndex[n] >= 0).Select(n => newIndex[n]).ToArray();
        }
        var subDependents = Invert(subNeeds);
        // Removing jobs and edges cannot create a cycle.
        var order = TopologicalSort(subNeeds, subDependents)
            ?? throw new UnreachableException("a subgraph of a DAG has a cycle");
        return new JobGraph(subIds, subIndexById, subNeeds, subDependents, order);
    }

    private int[] Transitive(int job, int[][] edges)
    {
        CheckIndex(job, nameof(job));
        var marked = new bool[Count];
        var pending = new Stack<int>();
        pending.Push(job);
        // The start stays unmarked: in a DAG no walk comes back to it.
        var result = new int[Mark(edges, marked, pending)];
        var next = 0;
        foreach (var other in topologicalOrder)
            if (marked[other])
                result[next++] = other;
        return result;
    }

    /// <summary>
    /// Marks what <paramref name="pending"/> reaches along <paramref name="edges"/> and returns how many it marked.
    /// An explicit stack, because a 100 000-job chain would overflow a recursive walk.
    /// </summary>
    private static int Mark(int[][] edges, bool[] marked, Stack<int> pending)
    {
        var found = 0;
        while (pending.TryPop(out var job))
            foreach (var next in edges[job])
                if (!marked[next])
                {
                    marked[next] = true;
                    pending.Push(next);
                    found++;
                }
        return found;
    }

    private void CheckIndex(int job, string parameter)
    {
        if ((uint)job >= (uint)Count)
            throw new ArgumentOutOfRangeException(parameter, job, $"no job has index {job}; the graph has {Count}");
    }
}
