using Loom.Core.Expressions;
using Loom.Core.Matrix;
using Loom.Core.Parsing;

namespace Loom.Core.Validation;

/// <summary>
/// A matrix written out in full (no <c>${{ }}</c>) is expanded at validate time: a malformed one (no
/// combinations, an include entry that is not a mapping...) is an error before anything runs, and the
/// job limit of spec §7 counts its cells. A matrix with expressions is expanded when its job is ready.
/// </summary>
internal static class MatrixValidator
{
    public static void Validate(IReadOnlyList<RawJob> jobs, ParseLimits limits, DiagnosticBag errors)
    {
        long total = jobs.Count;
        foreach (var job in jobs)
        {
            if (MatrixNode(job.Strategy) is not { } node || HasExpression(node))
                continue;
            try
            {
                var budget = (int)Math.Max(0, Math.Min(int.MaxValue, limits.MaxJobs - total + 1));
                var cells = MatrixExpander.Expand(DataValues.Evaluate(WorkflowFactory.ToData(node), EvaluationContext.Empty), budget);
                total += cells.Count - 1;
            }
            catch (ExpressionEvaluationException e)
            {
                errors.Add(node.Location, $"job {MessageText.Quote(job.Id.Value)}: {e.Message}");
            }
        }
    }

    private static MappingNode? MatrixNode(YamlNode? strategy)
    {
        if (strategy is not MappingNode map)
            return null;
        foreach (var entry in map.Entries)
            if (entry.Key.Value == "matrix")
                return entry.Value as MappingNode;
        return null;
    }

    private static bool HasExpression(YamlNode root)
    {
        var pending = new Stack<YamlNode>();
        pending.Push(root);
        while (pending.TryPop(out var node))
        {
            switch (node)
            {
                case ScalarNode scalar when scalar.HasExpression:
                    return true;
                case SequenceNode list:
                    foreach (var item in list.Items)
                        pending.Push(item);
                    break;
                case MappingNode map:
                    foreach (var entry in map.Entries)
                        pending.Push(entry.Value);
                    break;
            }
        }
        return false;
    }
}
