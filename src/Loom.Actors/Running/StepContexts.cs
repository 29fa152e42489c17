using System.Globalization;
using Loom.Actors.Execution;
using Loom.Actors.Protocol;
using Loom.Core.Expressions;
using Loom.Core.Model;
using Loom.Core.Runtime;

namespace Loom.Actors.Running;

/// <summary>A step with its expressions evaluated, ready to start.</summary>
internal sealed record ResolvedStep(
    string Title,
    string Run,
    string? Shell,
    string WorkingDirectory,
    Dictionary<string, string> Environment,
    TimeSpan? Timeout,
    bool ContinueOnError);

/// <summary>
/// The expression contexts of one job as its steps go: the job's contexts from the scheduler, plus
/// <c>env</c> (job env and what steps appended to <c>$LOOM_ENV</c>), <c>steps</c> (each step's
/// outputs, outcome and conclusion), <c>job.status</c> and <c>secrets</c>. Not thread-safe: the
/// runner's own.
/// </summary>
internal sealed class StepContexts
{
    private readonly JobSpec job;
    private readonly string workspace;
    private EvaluationContext? baseContexts;
    private readonly Dictionary<string, string> appendedEnv = new(StringComparer.Ordinal);
    private readonly PathPrepends pathPrepends = new();
    private readonly List<KeyValuePair<string, ExpressionValue>> steps = [];
    private readonly Dictionary<string, Dictionary<string, string>> stepOutputs = new(StringComparer.Ordinal);
    private readonly System.Text.StringBuilder summary = new();
    private Result status = Result.Success;

    public StepContexts(JobSpec job, string workspace)
    {
        this.job = job;
        this.workspace = workspace;
    }

    /// <summary>The scheduler's contexts, read on first use: a job without expressions never parses them.</summary>
    private EvaluationContext BaseContexts()
    {
        if (baseContexts is { } known)
            return known;
        var contexts = EvaluationContext.Empty.WithWorkspace(workspace).With("secrets", ExpressionValue.FromStrings(job.Secrets));
        if (ExpressionValue.TryParseJson(job.ContextsJson, out var parsed, out _))
            foreach (var (name, value) in parsed.Properties)
                contexts = contexts.With(name, value);
        return baseContexts = contexts;
    }

    public string? Summary => summary.Length == 0 ? null : summary.ToString();

    public bool ShouldRun(StepSpec step, StatusContext status)
    {
        var condition = Condition.Parse(step.If);
        return condition.IsStatusOnly ? condition.Evaluate(status) : condition.Evaluate(status, Contexts(null));
    }

    public bool ContinuesOnError(StepSpec step)
    {
        try
        {
            return Flag(step.ContinueOnError, () => Contexts(null));
        }
        catch (ExpressionException)
        {
            return false;
        }
    }

    /// <remarks>Contexts are built only for a step that has an expression: most steps have none.</remarks>
    public ResolvedStep Resolve(StepSpec step, string runId, JobFiles files)
    {
        EvaluationContext? jobLevel = null;
        var stepEnv = new Dictionary<string, string>(step.Env.Count, StringComparer.Ordinal);
        foreach (var (variable, value) in step.Env)
            stepEnv[variable] = Templates.HasExpression(value) ? Templates.String(value, jobLevel ??= Contexts(null)) : value;
        EvaluationContext? stepLevel = null;
        string Evaluate(string text) => Templates.HasExpression(text) ? Templates.String(text, stepLevel ??= Contexts(stepEnv)) : text;

        var run = Evaluate(step.Run);
        var timeout = step.TimeoutMinutes is { } minutes ? TimeSpan.FromMinutes(Math.Clamp(Minutes(minutes, () => stepLevel ??= Contexts(stepEnv)), 0.0001, 7 * 24 * 60)) : (TimeSpan?)null;
        var directory = step.WorkingDirectory is { } dir ? Evaluate(dir) : null;
        return new ResolvedStep(
            step.Name is { } name ? Evaluate(name) : Step.TitleOf(null, run),
            run,
            step.Shell is { } shell ? Evaluate(shell) : null,
            directory is null ? workspace : Path.GetFullPath(directory, workspace),
            StepEnvironment.Compose(runId, workspace, job, job.Env, appendedEnv, stepEnv, pathPrepends, files),
            timeout,
            Flag(step.ContinueOnError, () => stepLevel ??= Contexts(stepEnv)));
    }

    public void Record(StepSpec step, Result outcome, Result conclusion)
    {
        if (conclusion == Result.Failure && status != Result.Cancelled)
            status = Result.Failure;
        if (step.Id is not { } id)
            return;
        var outputs = stepOutputs.TryGetValue(id, out var written) ? written : [];
        steps.RemoveAll(s => s.Key == id);
        steps.Add(new(id, ExpressionValue.FromObject([
            new("outputs", ExpressionValue.FromStrings(outputs)),
            new("outcome", ExpressionValue.FromString(outcome.ToWire())),
            new("conclusion", ExpressionValue.FromString(conclusion.ToWire())),
        ])));
    }

    /// <summary>The job was cancelled or timed out: <c>job.status</c> says so for the steps that still run.</summary>
    public void MarkCancelled() => status = Result.Cancelled;

    public void AddOutputs(StepSpec step, IReadOnlyList<KeyValuePair<string, string>> pairs)
    {
        if (step.Id is not { } id || pairs.Count == 0)
            return;
        if (!stepOutputs.TryGetValue(id, out var outputs))
            stepOutputs[id] = outputs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in pairs)
            outputs[name] = value;
    }

    public void AddEnv(IReadOnlyList<KeyValuePair<string, string>> pairs)
    {
        foreach (var (name, value) in pairs)
            appendedEnv[name] = value;
    }

    public void AddPath(string appended) => pathPrepends.AddFileText(appended);

    public void AddSummary(string text)
    {
        if (summary.Length > 0 && summary[^1] != '\n')
            summary.Append('\n');
        summary.Append(text);
    }

    /// <summary>The job's <c>outputs</c>, evaluated once its steps are done; an output that fails to evaluate is left out and named.</summary>
    public Dictionary<string, string> JobOutputs(Result result, out string? error)
    {
        status = result;
        error = null;
        var outputs = new Dictionary<string, string>(StringComparer.Ordinal);
        if (job.Outputs.Count == 0)
            return outputs;
        var contexts = Contexts(null);
        foreach (var (name, template) in job.Outputs)
        {
            try
            {
                outputs[name] = Templates.String(template, contexts);
            }
            catch (ExpressionException e)
            {
                error ??= $"output '{name}': {e.Message}";
            }
        }
        return outputs;
    }

    private EvaluationContext Contexts(IReadOnlyDictionary<string, string>? stepEnv)
    {
        var env = new Dictionary<string, string>(job.Env, StringComparer.Ordinal);
        foreach (var (name, value) in appendedEnv)
            env[name] = value;
        if (stepEnv is not null)
            foreach (var (name, value) in stepEnv)
                env[name] = value;
        return BaseContexts()
            .With("env", ExpressionValue.FromStrings(env))
            .With("steps", ExpressionValue.FromObject(steps))
            .With("job", ExpressionValue.FromObject([new("status", ExpressionValue.FromString(status.ToWire()))]));
    }

    private static double Minutes(Setting<double> setting, Func<EvaluationContext> contexts)
    {
        if (setting.Expression is not { } expression)
            return setting.Value;
        var value = Templates.Value(expression, contexts()).ToNumber();
        return double.IsFinite(value) && value > 0 ? value : throw new ExpressionEvaluationException(
            $"'timeout-minutes' must be a number above 0, got {value.ToString(CultureInfo.InvariantCulture)}", 0);
    }

    private static bool Flag(Setting<bool> setting, Func<EvaluationContext> contexts) =>
        setting.Expression is { } expression ? Templates.Value(expression, contexts()).IsTruthy : setting.Value;
}
