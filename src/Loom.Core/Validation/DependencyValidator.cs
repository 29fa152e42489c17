using Loom.Core.Parsing;
using Loom.Core.Planning;

namespace Loom.Core.Validation;

/// <summary>Unknown needs, self-dependencies and cycles, found by <see cref="JobGraph.Build"/> and reported where they are written.</summary>
internal static class DependencyValidator
{
    public static void Validate(IReadOnlyList<RawJob> jobs, DiagnosticBag errors, Suggester suggester)
    {
        // Needs holding ${{ }} were reported by the reader and cannot be resolved yet.
        var needs = jobs.Select(j => j.Needs.Where(n => !n.HasExpression).ToArray()).ToArray();
        var nodes = jobs.Select((j, i) => new JobNode(j.Id.Value, needs[i].Select(n => n.Value).ToArray())).ToArray();
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

    private static string Quote(string text) => MessageText.Quote(text);
}
