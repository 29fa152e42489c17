namespace Loom.Core.Expressions;

/// <summary>
/// What an expression may refer to where it sits: the available contexts, whether status functions are allowed,
/// the job's <c>needs</c> and the ids of the job's steps. Names compare ignoring case.
/// </summary>
public sealed class ExpressionScope
{
    private readonly HashSet<string> contexts;
    private readonly HashSet<string> needs;
    private readonly HashSet<string> stepIds;

    private ExpressionScope(string placeName, IEnumerable<string> contexts, bool allowsStatusFunctions, bool lacksMatrix,
        IEnumerable<string> needs, IEnumerable<string> stepIds)
    {
        PlaceName = placeName;
        this.contexts = new HashSet<string>(contexts, StringComparer.OrdinalIgnoreCase);
        AllowsStatusFunctions = allowsStatusFunctions;
        LacksMatrix = lacksMatrix;
        this.needs = new HashSet<string>(needs, StringComparer.OrdinalIgnoreCase);
        this.stepIds = new HashSet<string>(stepIds, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>How messages name the place, e.g. "a job's 'if'".</summary>
    public string PlaceName { get; }

    /// <summary>Whether <c>success()</c>, <c>failure()</c>, <c>always()</c> and <c>cancelled()</c> may be called.</summary>
    public bool AllowsStatusFunctions { get; }

    /// <summary>The place would offer <c>matrix</c>, but the job has no matrix.</summary>
    internal bool LacksMatrix { get; }

    /// <summary>The job ids in the job's <c>needs</c>.</summary>
    public IReadOnlyCollection<string> Needs => needs;

    /// <summary>The ids of the job's steps (all of them: a later step's id reads as null at run time).</summary>
    public IReadOnlyCollection<string> StepIds => stepIds;

    /// <summary>The scope of <paramref name="place"/> for a job with these needs and step ids, with or without a matrix.</summary>
    public static ExpressionScope For(ExpressionPlace place, IEnumerable<string>? needs = null, IEnumerable<string>? stepIds = null,
        bool hasMatrix = false)
    {
        string[] workflow = ["loom", "vars", "inputs"];
        string[] job = [.. workflow, "needs", "strategy", "matrix"];
        string[] step = [.. job, "job", "runner", "env", "steps"];
        var (name, available, status) = place switch
        {
            ExpressionPlace.WorkflowEnv => ("the workflow's 'env'", [.. workflow, "secrets"], false),
            ExpressionPlace.WorkflowConcurrency => ("the workflow's 'concurrency'", workflow, false),
            ExpressionPlace.JobIf => ("a job's 'if'", [.. workflow, "needs"], true),
            ExpressionPlace.JobStrategy => ("a job's 'strategy'", [.. workflow, "needs"], false),
            ExpressionPlace.JobSetting => ("a job's settings", job, false),
            ExpressionPlace.JobEnv => ("a job's 'env'", [.. job, "secrets"], false),
            ExpressionPlace.JobOutputs => ("a job's 'outputs'", [.. step, "secrets"], false),
            ExpressionPlace.StepIf => ("a step's 'if'", step, true),
            ExpressionPlace.StepSetting => ("a step", [.. step, "secrets"], false),
            _ => throw new ArgumentOutOfRangeException(nameof(place), place, null),
        };
        var lacksMatrix = !hasMatrix && available.Contains("matrix");
        return new ExpressionScope(name, available.Where(c => hasMatrix || c != "matrix"), status, lacksMatrix, needs ?? [], stepIds ?? []);
    }

    /// <summary>Whether a context (by its canonical name, <c>loom</c> for <c>github</c>) is available.</summary>
    internal bool HasContext(string canonicalName) => contexts.Contains(canonicalName);

    internal bool HasNeed(string jobId) => needs.Contains(jobId);

    internal bool HasStep(string stepId) => stepIds.Contains(stepId);
}
