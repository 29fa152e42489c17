using FluentValidation;
using Loom.Core.Parsing;

namespace Loom.Core.Validation;

/// <summary>The value rules of spec §1–§3 over what <see cref="WorkflowReader"/> read. Stateless, so one instance serves every load.</summary>
internal sealed class WorkflowValidator : AbstractValidator<RawWorkflow>
{
    public static readonly WorkflowValidator Instance = new();

    private WorkflowValidator()
    {
        RuleFor(w => w.JobsNode).Custom((jobs, context) =>
        {
            if (jobs is null)
                context.Report(context.InstanceToValidate.Location, "workflow has no 'jobs'");
            else if (jobs is MappingNode { Entries.Count: 0 })
                context.Report(jobs.Location, "'jobs' must have at least one job");
        });
        RuleFor(w => w.MaxParallel).PositiveInteger("max-parallel");
        RuleForEach(w => w.Jobs).SetValidator(new JobValidator());
    }
}
