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
            if ((job.Strategy as MappingNode)?["matrix"] is not MappingNode node || node.Scalars().Any(s => s.HasExpression))
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
}
