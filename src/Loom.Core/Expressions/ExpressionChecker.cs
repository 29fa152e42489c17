using Loom.Core.Parsing;

namespace Loom.Core.Expressions;

/// <summary>
/// Validate-time checks of spec §4: unknown contexts, functions and listed properties, wrong argument counts,
/// contexts or status functions not available where the expression sits, <c>needs.&lt;job&gt;</c> outside the
/// job's needs, <c>steps.&lt;id&gt;</c> of no step, and malformed literal <c>format</c>/<c>fromJSON</c> arguments.
/// </summary>
public sealed class ExpressionChecker
{
    private static readonly Dictionary<string, string[]> ListedProperties = new(StringComparer.OrdinalIgnoreCase)
    {
        ["loom"] = ["workspace", "run_id", "run_number", "job", "workflow", "event_name", "event", "actor", "repository", "sha", "ref", "ref_name"],
        ["runner"] = ["os", "arch", "temp", "name"],
        ["strategy"] = ["fail-fast", "job-index", "job-total", "max-parallel"],
        ["job"] = ["status"],
    };

    private static readonly string[] NeedProperties = ["outputs", "result", "cells"];
    private static readonly string[] StepProperties = ["outputs", "outcome", "conclusion"];

    private readonly Suggester suggester;

    /// <summary>A checker with its own "did you mean" budget.</summary>
    public ExpressionChecker()
        : this(new Suggester())
    {
    }

    /// <summary>A checker sharing a load's "did you mean" budget.</summary>
    internal ExpressionChecker(Suggester suggester) => this.suggester = suggester;

    /// <summary>Every problem of <paramref name="expression"/> in <paramref name="scope"/>, ordered by offset.</summary>
    public IReadOnlyList<ExpressionProblem> Check(Expression expression, ExpressionScope scope)
    {
        var problems = new List<ExpressionProblem>();
        foreach (var node in expression.Root.DescendantsAndSelf())
        {
            switch (node)
            {
                case ContextNode context:
                    CheckContext(context, scope, problems);
                    break;
                case CallNode call:
                    CheckCall(call, scope, problems);
                    break;
                case PropertyNode or IndexNode:
                    CheckMember(node, scope, problems);
                    break;
            }
        }
        return problems.OrderBy(p => p.Offset).ToList();
    }

    /// <summary>Every problem of every expression in <paramref name="template"/>, ordered by offset.</summary>
    public IReadOnlyList<ExpressionProblem> Check(ExpressionTemplate template, ExpressionScope scope) =>
        template.Expressions.SelectMany(e => Check(e, scope)).OrderBy(p => p.Offset).ToList();

    private void CheckContext(ContextNode node, ExpressionScope scope, List<ExpressionProblem> problems)
    {
        var canonical = ContextNames.Canonical(node.Name);
        if (canonical is null)
            problems.Add(new(node.Offset, $"unknown context '{node.Name}'{Hint(node.Name, ContextNames.All)}"));
        else if (canonical == "matrix" && scope.LacksMatrix)
            problems.Add(new(node.Offset, $"'{node.Name}' is not available here: the job has no 'strategy.matrix'"));
        else if (!scope.HasContext(canonical))
            problems.Add(new(node.Offset, $"'{node.Name}' is not available in {scope.PlaceName}"));
    }

    private void CheckCall(CallNode call, ExpressionScope scope, List<ExpressionProblem> problems)
    {
        var function = ExpressionFunctions.Find(call.Name);
        if (function is null)
        {
            problems.Add(new(call.Offset, $"unknown function '{call.Name}'{Hint(call.Name, ExpressionFunctions.All.Select(f => f.Name))}"));
            return;
        }
        if (call.Arguments.Count < function.MinArguments || call.Arguments.Count > function.MaxArguments)
            problems.Add(new(call.Offset, $"'{function.Name}' takes {function.DescribeArity()}, got {call.Arguments.Count}"));
        if (function.IsStatusFunction && !scope.AllowsStatusFunctions)
            problems.Add(new(call.Offset, $"'{function.Name}()' is only allowed in 'if', not in {scope.PlaceName}"));
        if (call.Arguments.Count == 0 || call.Arguments[0] is not LiteralNode { Value.Kind: ValueKind.String } literal)
            return;
        var text = literal.Value.AsString();
        if (function == ExpressionFunctions.Format && FormatString.Apply(text, call.Arguments.Count - 1, _ => "", out var error) is null)
            problems.Add(new(literal.Offset, $"format: {error}"));
        if (function == ExpressionFunctions.FromJson && !ExpressionValue.TryParseJson(text, out _, out var jsonError))
            problems.Add(new(literal.Offset, $"fromJSON: invalid JSON: {jsonError}"));
    }

    /// <summary>Checks a member whose name is written out (<c>a.b</c> or <c>a['b']</c>) directly below a known context.</summary>
    private void CheckMember(ExpressionNode node, ExpressionScope scope, List<ExpressionProblem> problems)
    {
        if (!TryStaticMember(node, out var target, out var name, out var nameOffset))
            return;
        // Only the first two levels below a context are known before the run.
        if (target is ContextNode context)
        {
            var canonical = ContextNames.Canonical(context.Name);
            if (canonical is null || !scope.HasContext(canonical))
                return; // already reported on the context itself
            if (canonical == "needs" && !scope.HasNeed(name))
                problems.Add(new(nameOffset, $"job '{name}' is not in this job's needs{Hint(name, scope.Needs)}"));
            else if (canonical == "steps" && !scope.HasStep(name))
                problems.Add(new(nameOffset, $"no step of this job has id '{name}'{Hint(name, scope.StepIds)}"));
            else if (ListedProperties.TryGetValue(canonical, out var listed) && !listed.Contains(name, StringComparer.OrdinalIgnoreCase))
                problems.Add(new(nameOffset, $"unknown property '{name}' of '{context.Name}'{Hint(name, listed)}"));
        }
        else if (TryStaticMember(target, out var parent, out var parentName, out _) && parent is ContextNode grandContext)
        {
            var canonical = ContextNames.Canonical(grandContext.Name);
            var known = canonical switch
            {
                "needs" when scope.HasContext(canonical) && scope.HasNeed(parentName) => NeedProperties,
                "steps" when scope.HasContext(canonical) && scope.HasStep(parentName) => StepProperties,
                _ => null,
            };
            if (known is not null && !known.Contains(name, StringComparer.OrdinalIgnoreCase))
                problems.Add(new(nameOffset, $"unknown property '{name}' of '{grandContext.Name}.{parentName}'{Hint(name, known)}"));
        }
    }

    private static bool TryStaticMember(ExpressionNode node, out ExpressionNode target, out string name, out int nameOffset)
    {
        switch (node)
        {
            case PropertyNode property:
                (target, name, nameOffset) = (property.Target, property.Name, property.NameOffset);
                return true;
            case IndexNode { Index: LiteralNode { Value.Kind: ValueKind.String } literal } index:
                (target, name, nameOffset) = (index.Target, literal.Value.AsString(), literal.Offset);
                return true;
            default:
                (target, name, nameOffset) = (node, "", node.Offset);
                return false;
        }
    }

    private string Hint(string word, IEnumerable<string> candidates) =>
        suggester.Closest(word, candidates, ignoreCase: true) is { } best ? $" (did you mean '{best}'?)" : "";
}
