using Loom.Core.Parsing;
using Loom.Core.Planning;

namespace Loom.Core.Validation;

/// <summary>Unknown needs, self-dependencies and cycles, found by <see cref="JobGraph.Build"/> and reported where they are written.</summary>
internal static class DependencyValidator
{
    public static void Validate(IReadOnlyList<RawJob> jobs, DiagnosticBag errors, Suggester suggester)
    {
        // Needs holding ${{ }} were reported by the reader and cannot be resolved yet.
        var needs = new IReadOnlyList<ScalarNode>[jobs.Count];
        var nodes = new JobNode[jobs.Count];
        for (var i = 0; i < jobs.Count; i++)
        {
            needs[i] = WithoutExpressions(jobs[i].Needs);
            var ids = new string[needs[i].Count];
            for (var n = 0; n < ids.Length; n++)
                ids[n] = needs[i][n].Value;
            nodes[i] = new JobNode(jobs[i].Id.Value, ids);
        }
        var result = JobGraph.Build(nodes);

        foreach (var unknown in result.UnknownNeeds)
        {
            var hint = suggester.Closest(unknown.Need, nodes.Select(n => n.Id));
            errors.Add(needs[unknown.JobIndex][unknown.NeedIndex].Location,
                $"job {Quote(nodes[unknown.JobIndex].Id)} needs {Quote(unknown.Need)}, which does not exist{MessageText.DidYouMean(hint)}");
        }
        foreach (var job in result.SelfDependencies.Distinct())
        {
            var id = nodes[job].Id;
            errors.Add(needs[job].First(n => n.Value == id).Location, $"job {Quote(id)} needs itself");
        }
        if (result.Cycle is { Count: > 0 } cycle)
        {
            var first = jobs.First(j => j.Id.Value == cycle[0]);
            errors.Add(first.Id.Location, $"dependency cycle: {string.Join(" -> ", cycle)}");
        }
    }

    private static IReadOnlyList<ScalarNode> WithoutExpressions(IReadOnlyList<ScalarNode> needs)
    {
        var count = 0;
        foreach (var need in needs)
            count += need.HasExpression ? 0 : 1;
        if (count == needs.Count)
            return needs;
        var kept = new ScalarNode[count];
        count = 0;
        foreach (var need in needs)
        {
            if (!need.HasExpression)
                kept[count++] = need;
        }
        return kept;
    }

    private static string Quote(string text) => MessageText.Quote(text);
}
