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
    private readonly EvaluationContext baseContexts;
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
        var contexts = EvaluationContext.Empty.WithWorkspace(workspace).With("secrets", ExpressionValue.FromStrings(job.Secrets));
        if (ExpressionValue.TryParseJson(job.ContextsJson, out var parsed, out _))
            foreach (var (name, value) in parsed.Properties)
                contexts = contexts.With(name, value);
        baseContexts = contexts;
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
            return Evaluate(step.ContinueOnError, Contexts(null));
        }
        catch (ExpressionException)
        {
            return false;
        }
    }

    public ResolvedStep Resolve(StepSpec step, string runId, JobFiles files)
    {
        var jobLevel = Contexts(null);
        var stepEnv = new Dictionary<string, string>(step.Env.Count, StringComparer.Ordinal);
        foreach (var (variable, value) in step.Env)
            stepEnv[variable] = Templates.String(value, jobLevel);
        var contexts = Contexts(stepEnv);
        var timeout = step.TimeoutMinutes is { } minutes ? TimeSpan.FromMinutes(Math.Clamp(Evaluate(minutes, contexts), 0.0001, 7 * 24 * 60)) : (TimeSpan?)null;
        var directory = step.WorkingDirectory is { } dir ? Templates.String(dir, contexts) : null;
        var run = Templates.String(step.Run, contexts);
        return new ResolvedStep(
            step.Name is { } name ? Templates.String(name, contexts) : Step.TitleOf(null, run),
            run,
            step.Shell is { } shell ? Templates.String(shell, contexts) : null,
            directory is null ? workspace : Path.GetFullPath(directory, workspace),
            StepEnvironment.Compose(runId, workspace, job, job.Env, appendedEnv, stepEnv, pathPrepends, files),
            timeout,
            Evaluate(step.ContinueOnError, contexts));
    }

    public void Record(StepSpec step, Result outcome, Result conclusion)
    {
        if (conclusion == Result.Failure)
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
        return baseContexts
            .With("env", ExpressionValue.FromStrings(env))
            .With("steps", ExpressionValue.FromObject(steps))
            .With("job", ExpressionValue.FromObject([new("status", ExpressionValue.FromString(status.ToWire()))]));
    }

    private static double Evaluate(Setting<double> setting, EvaluationContext contexts)
    {
        if (setting.Expression is not { } expression)
            return setting.Value;
        var value = Templates.Value(expression, contexts).ToNumber();
        return double.IsFinite(value) && value > 0 ? value : throw new ExpressionEvaluationException(
            $"'timeout-minutes' must be a number above 0, got {value.ToString(CultureInfo.InvariantCulture)}", 0);
    }

    private static bool Evaluate(Setting<bool> setting, EvaluationContext contexts) =>
        setting.Expression is { } expression ? Templates.Value(expression, contexts).IsTruthy : setting.Value;
}
