using Loom.Core.Parsing;

namespace Loom.Core.Validation;

/// <summary>Spec §3: a step needs <c>run</c> (unless it was reported for <c>uses</c>); ids, numbers, booleans and <c>if</c> must be well-formed.</summary>
internal static class StepValidator
{
    public static void Validate(RawStep step, DiagnosticBag errors)
    {
        if (step.Run is null && !step.UsesAction)
            errors.Add(step.Location, $"{step.Title} has no 'run'");
        if (step.Id is { HasExpression: false } id && !ScalarValues.IsId(id.Value))
            errors.Add(id.Location, $"step id {MessageText.Quote(id.Value)} in {step.Title} {ValueRules.IdRule}");
        ValueRules.TimeoutMinutes(step.TimeoutMinutes, errors);
        ValueRules.Boolean(step.ContinueOnError, "continue-on-error", errors);
    }
}
