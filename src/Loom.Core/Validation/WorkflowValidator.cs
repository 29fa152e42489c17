using Loom.Core.Parsing;

namespace Loom.Core.Validation;

/// <summary>
/// The value rules of spec §1–§3 over what <see cref="WorkflowReader"/> read. Plain code, not FluentValidation:
/// run per job and step, that cost some 20 µs and 4 KB a job (a third of a 10 000-job load) plus 20 ms of start-up.
/// </summary>
internal static class WorkflowValidator
{
    public static void Validate(RawWorkflow workflow, DiagnosticBag errors)
    {
        if (workflow.JobsNode is null)
            errors.Add(workflow.Location, "workflow has no 'jobs'");
        else if (workflow.JobsNode is MappingNode { Entries.Length: 0 })
            errors.Add(workflow.JobsNode.Location, "'jobs' must have at least one job");
        ValueRules.PositiveInteger(workflow.MaxParallel, "max-parallel", errors);
        JobSettingsValidator.Concurrency(workflow.Concurrency, errors);
        foreach (var job in workflow.Jobs)
            JobValidator.Validate(job, errors);
    }
}
