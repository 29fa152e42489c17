using FluentValidation;
using Loom.Core.Parsing;

namespace Loom.Core.Validation;

/// <summary>Spec §3: a step needs <c>run</c> (unless it was reported for <c>uses</c>); ids, numbers, booleans and <c>if</c> must be well-formed.</summary>
internal sealed class StepValidator : AbstractValidator<RawStep>
{
    public StepValidator()
    {
        RuleFor(s => s.Run).Custom((run, context) =>
        {
            var step = context.InstanceToValidate;
            if (run is null && !step.UsesAction)
                context.Report(step.Location, $"{step.Title} has no 'run'");
        });
        RuleFor(s => s.Id).Custom((id, context) =>
        {
            if (id is not null && !id.HasExpression && !ScalarValues.IsId(id.Value))
                context.Report(id.Location, $"step id {MessageText.Quote(id.Value)} in {context.InstanceToValidate.Title} {JobValidator.IdRule}");
        });
        RuleFor(s => s.TimeoutMinutes).PositiveNumber("timeout-minutes");
        RuleFor(s => s.ContinueOnError).Boolean("continue-on-error");
        RuleFor(s => s.If).ValidCondition();
    }
}
