using Loom.Core.Parsing;

namespace Loom.Core.Validation;

/// <summary>Spec §2: a job has a valid id and at least one step; step ids are unique within it.</summary>
internal static class JobValidator
{
    public static void Validate(RawJob job, DiagnosticBag errors)
    {
        if (!ScalarValues.IsId(job.Id.Value))
            errors.Add(job.Id.Location, $"job id {MessageText.Quote(job.Id.Value)} {ValueRules.IdRule}");
        if (!job.HasBody)
            return;
        if (job.StepsNode is null)
            errors.Add(job.Location, $"job {MessageText.Quote(job.Id.Value)} has no 'steps'");
        else if (job.StepsNode is SequenceNode { Items.Length: 0 })
            errors.Add(job.StepsNode.Location, $"job {MessageText.Quote(job.Id.Value)} must have at least one step");
        ValueRules.TimeoutMinutes(job.TimeoutMinutes, errors);
        ValueRules.Boolean(job.ContinueOnError, "continue-on-error", errors);
        JobSettingsValidator.Validate(job, errors);
        CheckUniqueStepIds(job.Steps, errors);
        foreach (var step in job.Steps)
            StepValidator.Validate(step, errors);
    }

    private static void CheckUniqueStepIds(IReadOnlyList<RawStep> steps, DiagnosticBag errors)
    {
        // Most steps have no id: the set is only made for a job with ids to compare.
        HashSet<string>? seen = null;
        foreach (var step in steps)
        {
            if (step.Id is { } id && !(seen ??= new HashSet<string>(StringComparer.Ordinal)).Add(id.Value))
                errors.Add(id.Location, $"duplicate step id {MessageText.Quote(id.Value)} in job {MessageText.Quote(step.JobId)}");
        }
    }
}
