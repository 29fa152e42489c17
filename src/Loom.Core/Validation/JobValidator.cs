using FluentValidation;
using Loom.Core.Parsing;

namespace Loom.Core.Validation;

/// <summary>Spec §2: a job has a valid id and at least one step; step ids are unique within it.</summary>
internal sealed class JobValidator : AbstractValidator<RawJob>
{
    public const string IdRule = "must start with a letter or '_' and contain only letters, digits, '-' and '_'";

    public JobValidator()
    {
        RuleFor(j => j.Id).Custom((id, context) =>
        {
            if (!ScalarValues.IsId(id.Value))
                context.Report(id.Location, $"job id {MessageText.Quote(id.Value)} {IdRule}");
        });
        When(j => j.HasBody, () =>
        {
            RuleFor(j => j.StepsNode).Custom((steps, context) =>
            {
                var job = context.InstanceToValidate;
                if (steps is null)
                    context.Report(job.Location, $"job {MessageText.Quote(job.Id.Value)} has no 'steps'");
                else if (steps is SequenceNode { Items.Count: 0 })
                    context.Report(steps.Location, $"job {MessageText.Quote(job.Id.Value)} must have at least one step");
            });
            RuleFor(j => j.TimeoutMinutes).PositiveNumber("timeout-minutes");
            RuleFor(j => j.ContinueOnError).Boolean("continue-on-error");
            RuleFor(j => j.If).ValidCondition();
            RuleFor(j => j.Steps).Custom(CheckUniqueStepIds);
            RuleForEach(j => j.Steps).SetValidator(new StepValidator());
        });
    }

    private static void CheckUniqueStepIds(IReadOnlyList<RawStep> steps, ValidationContext<RawJob> context)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var step in steps)
        {
            if (step.Id is { } id && !seen.Add(id.Value))
                context.Report(id.Location, $"duplicate step id {MessageText.Quote(id.Value)} in job {MessageText.Quote(step.JobId)}");
        }
    }
}
