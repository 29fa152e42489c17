namespace Loom.Core.Planning;

public sealed partial class JobGraph
{
    /// <summary>
    /// The heaviest path (largest sum of <paramref name="weight"/>), from a job with no needs to its end,
    /// in dependency order; with every weight 1 it is the longest chain. Ties go to the lower index
    /// (file order). <paramref name="weight"/> is called once per job and must return a finite,
    /// non-negative number, such as an expected duration. O(V+E).
    /// </summary>
    public IReadOnlyList<int> CriticalPath(Func<int, double> weight)
    {
        ArgumentNullException.ThrowIfNull(weight);
        var heaviest = new double[Count]; // heaviest path ending at each job
        var previous = new int[Count];
        var end = -1;
        foreach (var job in topologicalOrder)
        {
            var own = weight(job);
            if (!double.IsFinite(own) || own < 0)
                throw new ArgumentOutOfRangeException(nameof(weight), own, $"the weight of job '{ids[job]}' must be finite and non-negative");
            var best = -1;
            foreach (var need in needs[job])
                if (best < 0 || heaviest[need] > heaviest[best] || (heaviest[need] == heaviest[best] && need < best))
                    best = need;
            previous[job] = best;
            heaviest[job] = best < 0 ? own : heaviest[best] + own;
            if (end < 0 || heaviest[job] > heaviest[end] || (heaviest[job] == heaviest[end] && job < end))
                end = job;
        }

        var path = new List<int>();
        for (var job = end; job >= 0; job = previous[job])
            path.Add(job);
        path.Reverse();
        return path;
    }

    /// <summary>
    /// Each job's depth: 0 with no needs, else one more than its deepest need. Jobs of one level
    /// never need each other, so a level can run at once when the earlier ones are done. O(V+E).
    /// </summary>
    public IReadOnlyList<int> Levels()
    {
        var levels = new int[Count];
        foreach (var job in topologicalOrder)
        {
            var level = 0;
            foreach (var need in needs[job])
                level = Math.Max(level, levels[need] + 1);
            levels[job] = level;
        }
        return levels;
    }
}
