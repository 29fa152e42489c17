using Loom.Core.Diagnostics;
using Loom.Core.Expressions;
using Loom.Core.Parsing;

namespace Loom.Core.Validation;

/// <summary>
/// Spec §4: every <c>${{ }}</c> and <c>if</c> must parse, and may only name contexts, functions, needs and
/// step ids that exist where it is written. Reported at the offending character when the scalar is plain and
/// on one line (its value is then the source text); elsewhere (quotes, escapes, folding) at the scalar.
/// </summary>
internal static class ExpressionValidator
{
    public static void Validate(RawWorkflow workflow, DiagnosticBag errors, Suggester suggester)
    {
        var checker = new ExpressionChecker(suggester);
        foreach (var site in workflow.Sites)
            Check(site, ExpressionScope.For(site.Place), checker, errors);
        foreach (var job in workflow.Jobs)
        {
            if (!job.HasBody || job.Sites.Count + job.Steps.Sum(s => s.Sites.Count) == 0)
                continue;
            var needs = job.Needs.Select(n => n.Value).ToArray();
            var stepIds = job.Steps.Where(s => s.Id is not null).Select(s => s.Id!.Value).ToArray();
            var hasMatrix = job.Strategy is not null;
            foreach (var site in job.Sites)
                Check(site, ExpressionScope.For(site.Place, needs, stepIds, hasMatrix), checker, errors);
            foreach (var step in job.Steps)
                foreach (var site in step.Sites)
                    Check(site, ExpressionScope.For(site.Place, needs, stepIds, hasMatrix), checker, errors);
        }
    }

    private static void Check(ExpressionSite site, ExpressionScope scope, ExpressionChecker checker, DiagnosticBag errors)
    {
        var node = site.Node;
        try
        {
            var problems = site.Place is ExpressionPlace.JobIf or ExpressionPlace.StepIf
                ? checker.Check(IfCondition.Parse(node.Value).Expression, scope)
                : checker.Check(ExpressionTemplate.Parse(node.Value), scope);
            foreach (var problem in problems)
                errors.Add(At(node, problem.Offset), problem.Message);
        }
        catch (ExpressionSyntaxException e)
        {
            var what = site.Place is ExpressionPlace.JobIf or ExpressionPlace.StepIf ? "invalid 'if' expression" : "invalid expression";
            errors.Add(At(node, e.Offset), $"{what}: {e.Message}");
        }
    }

    private static SourceLocation At(ScalarNode node, int offset) =>
        node.IsPlain && node.IsSingleLine ? node.Location with { Column = node.Location.Column + offset } : node.Location;
}
