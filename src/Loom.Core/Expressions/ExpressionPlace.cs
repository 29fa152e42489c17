namespace Loom.Core.Expressions;

/// <summary>Where in a workflow an expression sits; decides which contexts and functions it may use (GitHub's availability table).</summary>
public enum ExpressionPlace
{
    /// <summary>Workflow <c>env</c>.</summary>
    WorkflowEnv,

    /// <summary>Workflow <c>concurrency</c>.</summary>
    WorkflowConcurrency,

    /// <summary>A job's <c>if</c>.</summary>
    JobIf,

    /// <summary>A job's <c>strategy</c> (matrix values, <c>max-parallel</c>, <c>fail-fast</c>).</summary>
    JobStrategy,

    /// <summary>A job's <c>name</c>, <c>runs-on</c>, <c>timeout-minutes</c>, <c>continue-on-error</c> or <c>concurrency</c>.</summary>
    JobSetting,

    /// <summary>A job's <c>env</c>.</summary>
    JobEnv,

    /// <summary>A job's <c>outputs</c>.</summary>
    JobOutputs,

    /// <summary>A step's <c>if</c>.</summary>
    StepIf,

    /// <summary>A step's <c>name</c>, <c>run</c>, <c>env</c>, <c>shell</c>, <c>working-directory</c>, <c>timeout-minutes</c> or <c>continue-on-error</c>.</summary>
    StepSetting,
}
