using Loom.Actors.Protocol;
using Loom.Core.Expressions;
using Loom.Core.Matrix;
using Loom.Core.Model;

namespace Loom.Actors.Scheduling;

/// <summary>Whether a job runs, and why not: <paramref name="Error"/> when its <c>if</c> could not be evaluated.</summary>
public readonly record struct RunDecision(bool Run, string Explanation, string? Error);

/// <summary>
/// The job-level expressions of a run, evaluated by the scheduler against <c>needs</c> and the run's
/// contexts: <c>if</c>, <c>strategy</c> (matrix, fail-fast, max-parallel), <c>continue-on-error</c>,
/// and the name, env and timeout a runner is given. Deterministic for a given state, so replaying a
/// run's events evaluates the same way.
/// </summary>
public sealed class JobExpressions
{
    private readonly RunPlan plan;
    private readonly RunContexts run;
    private readonly ExpressionValue loom;
    private readonly EvaluationContext runContexts;
    private readonly Core.Runtime.SecretMasker masker = new();

    public JobExpressions(RunPlan plan, RunContexts run)
    {
        this.plan = plan;
        this.run = run;
        loom = LoomContext(plan, run);
        masker.AddRange(run.Secrets.Values);
        runContexts = EvaluationContext.Empty
            .With("loom", loom)
            .With("vars", ExpressionValue.FromStrings(run.Vars))
            .With("inputs", ExpressionValue.FromStrings(run.Inputs))
            .With("secrets", ExpressionValue.FromStrings(run.Secrets))
            .With("runner", RunnerContext.Value);
    }

    /// <summary>Any secret in <paramref name="text"/> (an evaluation error, say) replaced by <c>***</c>.</summary>
    public string Mask(string text) => masker.Mask(text);

    public RunDecision ShouldRun(int node, StatusContext status, RunState state)
    {
        var condition = plan.Jobs[node].If;
        try
        {
            if (condition.IsStatusOnly)
                return new RunDecision(condition.Evaluate(status), $"'if: {condition.Text}' was false", null);
            var contexts = JobContexts(node, state, null);
            if (condition.Evaluate(status, contexts))
                return new RunDecision(true, "", null);
            var values = condition.Explain(status, contexts);
            return new RunDecision(false, $"'if: {condition.Text}' was false{(values.Count == 0 ? "" : $" ({string.Join(", ", values)})")}", null);
        }
        catch (ExpressionException e)
        {
            return new RunDecision(false, "", Mask($"'if: {condition.Text}': {e.Message}"));
        }
    }

    /// <summary>The workflow's <c>concurrency</c> group and <c>cancel-in-progress</c>, evaluated; null without one (or with an empty group).</summary>
    /// <exception cref="ExpressionException">An expression of either fails.</exception>
    public (string Group, bool CancelInProgress)? WorkflowConcurrency()
    {
        if (plan.Workflow.Concurrency is not { } concurrency)
            return null;
        var group = Templates.String(concurrency.Group, runContexts);
        if (group.Length == 0)
            return null;
        var cancel = concurrency.CancelInProgress.Expression is { } expression
            ? Templates.Value(expression, runContexts).IsTruthy
            : concurrency.CancelInProgress.Value;
        return (group, cancel);
    }

    /// <summary>A job-level <c>concurrency</c> group of <paramref name="unit"/>, evaluated; the group as written when it cannot be.</summary>
    public string JobGroupOf(UnitState unit, RunState state)
    {
        var group = plan.Jobs[unit.Node].Concurrency!.Group;
        if (!Templates.HasExpression(group))
            return group;
        try
        {
            return Templates.String(group, UnitContexts(unit, state));
        }
        catch (ExpressionException)
        {
            return group;
        }
    }

    public bool ContinueOnError(int node, ExpressionValue? matrix, RunState state)
    {
        var setting = plan.Jobs[node].ContinueOnError;
        if (setting.Expression is not { } expression)
            return setting.Value;
        try
        {
            return Templates.Value(expression, JobContexts(node, state, matrix)).IsTruthy;
        }
        catch (ExpressionException)
        {
            return false;
        }
    }

    public bool FailFast(int node, RunState state)
    {
        var setting = plan.Jobs[node].Strategy?.FailFast ?? true;
        if (setting.Expression is not { } expression)
            return setting.Value;
        try
        {
            return Templates.Value(expression, StrategyContexts(node, state)).IsTruthy;
        }
        catch (ExpressionException)
        {
            return true;
        }
    }

    /// <summary><c>strategy.max-parallel</c>: how many cells of the job may run at once; null for no limit.</summary>
    public int? MaxParallelCells(int node, RunState state)
    {
        if (plan.Jobs[node].Strategy?.MaxParallel is not { } setting)
            return null;
        if (setting.Expression is not { } expression)
            return setting.Value;
        try
        {
            var value = Templates.Value(expression, StrategyContexts(node, state)).ToNumber();
            return value >= 1 ? (int)Math.Min(value, int.MaxValue) : null;
        }
        catch (ExpressionException)
        {
            return null;
        }
    }

    /// <summary>The job's <c>name</c> for <paramref name="unit"/>, evaluated; null when it has none or it cannot be evaluated.</summary>
    public string? TitleOf(UnitState unit, RunState state)
    {
        if (plan.Jobs[unit.Node].DisplayName is not { } name)
            return null;
        if (!Templates.HasExpression(name))
            return name;
        try
        {
            return Templates.String(name, UnitContexts(unit, state));
        }
        catch (ExpressionException)
        {
            return null;
        }
    }

    /// <summary>The matrix's cells, or null and an error when it cannot be worked out (bad <c>fromJSON</c>, no combinations...).</summary>
    public IReadOnlyList<MatrixCell>? ExpandMatrix(int node, RunState state, out string? error)
    {
        var job = plan.Jobs[node];
        try
        {
            var matrix = DataValues.Evaluate(job.Strategy!.Matrix!, StrategyContexts(node, state));
            var cells = MatrixExpander.Expand(matrix, state.CellBudget(node));
            var ids = new HashSet<string>(StringComparer.Ordinal);
            var result = new MatrixCell[cells.Count];
            for (var i = 0; i < cells.Count; i++)
            {
                var id = MatrixExpander.CellId(job.Id, cells[i]);
                for (var n = 2; !ids.Add(id) || plan.Graph.Contains(id); n++)
                    id = $"{MatrixExpander.CellId(job.Id, cells[i])} #{n}";
                result[i] = new MatrixCell(id, cells[i].ToJson());
            }
            error = null;
            return result;
        }
        catch (ExpressionException e)
        {
            error = Mask($"strategy.matrix: {e.Message}");
            return null;
        }
    }

    /// <summary>What the runner of <paramref name="unit"/> is given (its evaluated name travels in <c>JobStarted</c>); throws <see cref="ExpressionException"/> when a job-level value cannot be evaluated.</summary>
    public JobSpec SpecOf(UnitState unit, RunState state)
    {
        var job = plan.Jobs[unit.Node];
        var defaults = plan.Workflow.Defaults;
        // Contexts are built only when something here or in the steps reads them: most jobs have no expression.
        EvaluationContext? contexts = null;
        EvaluationContext Contexts() => contexts ??= UnitContexts(unit, state);

        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in plan.Workflow.Env)
            env[name] = Templates.String(value, runContexts);
        EvaluationContext? withEnv = null;
        foreach (var (name, value) in job.Env)
            env[name] = Templates.HasExpression(value) ? Templates.String(value, withEnv ??= Contexts().With("env", ExpressionValue.FromStrings(env))) : value;
        var timeout = job.TimeoutMinutes.Expression is { } expression
            ? Templates.Value(expression, Contexts()).ToNumber() is var minutes && double.IsFinite(minutes) && minutes > 0
                ? Math.Min(minutes, 7 * 24 * 60)
                : throw new ExpressionEvaluationException($"'timeout-minutes' must be a number above 0, got {minutes}", 0)
            : job.TimeoutMinutes.Value;
        var steps = new StepSpec[job.Steps.Count];
        for (var i = 0; i < steps.Length; i++)
        {
            var s = job.Steps[i];
            steps[i] = new StepSpec(
                s.Index,
                s.Id,
                s.Name,
                s.Title,
                s.Run,
                s.Shell ?? job.Defaults.Shell ?? defaults.Shell,
                s.WorkingDirectory ?? job.Defaults.WorkingDirectory ?? defaults.WorkingDirectory,
                s.Env,
                s.If.Text,
                s.TimeoutMinutes,
                s.ContinueOnError);
        }
        // Secrets travel on their own, never inside a context that may be logged. A job whose
        // steps and outputs hold no expression gets no contexts: most jobs, and the cheapest path.
        var contextJson = !StepsUseExpressions(job) ? "{}" : ExpressionValue.FromObject([
            new("loom", WithJob(job.Id)),
            new("vars", ExpressionValue.FromStrings(run.Vars)),
            new("inputs", ExpressionValue.FromStrings(run.Inputs)),
            new("runner", RunnerContext.Value),
            new("needs", NeedsContext(unit.Node, state)),
            new("matrix", unit.Matrix ?? ExpressionValue.Null),
            new("strategy", StrategyContext(unit.Node, state, unit)),
        ]).ToJson();
        return new JobSpec(unit.Id, job.Id, unit.Attempt, env, timeout, steps, job.Outputs, contextJson, run.Secrets)
        {
            Cache = job.Cache ? CacheRequestOf(job, unit, state, steps, env, timeout) : null,
            RunsOn = RunsOn(job, Contexts),
        };
    }

    /// <summary>The job's <c>runs-on</c> labels, evaluated (a cluster places it on a node that has all of them); most jobs have none.</summary>
    private static IReadOnlyList<string> RunsOn(Job job, Func<EvaluationContext> contexts)
    {
        if (job.RunsOn.Count == 0)
            return [];
        var labels = new List<string>(job.RunsOn.Count);
        foreach (var label in job.RunsOn)
            if ((Templates.HasExpression(label) ? Templates.String(label, contexts()) : label) is { Length: > 0 } value)
                labels.Add(value);
        return labels;
    }

    /// <summary>
    /// A cached job's key covers its steps as written (templates: their values follow from the contexts below),
    /// its evaluated env and timeout, its outputs, and the contexts its expressions may read, less what changes
    /// every run (<c>loom.run_id</c>, <c>loom.run_number</c>) and less <c>needs</c>, which the needs' own
    /// fingerprints cover. A <c>loom</c> value (the commit's sha, the ref, ...) counts only when the job's
    /// text names it, so a new commit does not invalidate every job. Secrets never go in: rotating one does
    /// not invalidate the cache.
    /// </summary>
    private CacheRequest CacheRequestOf(Job job, UnitState unit, RunState state, StepSpec[] steps, Dictionary<string, string> env, double timeout)
    {
        var definition = new List<KeyValuePair<string, string>>
        {
            new("timeout-minutes", timeout.ToString("R", System.Globalization.CultureInfo.InvariantCulture)),
            new("env", ExpressionValue.FromStrings(env).ToJson()),
        };
        foreach (var step in steps)
        {
            var at = $"steps[{step.Index}].";
            definition.Add(new(at + "run", step.Run));
            definition.Add(new(at + "shell", step.Shell ?? ""));
            definition.Add(new(at + "working-directory", step.WorkingDirectory ?? ""));
            definition.Add(new(at + "if", step.If));
            definition.Add(new(at + "continue-on-error", step.ContinueOnError.Expression ?? step.ContinueOnError.Value.ToString()));
            definition.Add(new(at + "timeout-minutes", step.TimeoutMinutes is { } t ? t.Expression ?? t.Value.ToString("R", System.Globalization.CultureInfo.InvariantCulture) : ""));
        }
        foreach (var (name, template) in job.Outputs.OrderBy(o => o.Key, StringComparer.Ordinal))
            definition.Add(new("outputs." + name, template));
        var text = string.Join('\n', job.Steps.SelectMany(s => new[] { s.Run, s.Name ?? "", s.Shell ?? "", s.WorkingDirectory ?? "", s.If.Text }.Concat(s.Env.Values))
            .Concat(job.Env.Values).Concat(plan.Workflow.Env.Values).Concat(job.Outputs.Values));
        var loomContext = loom.Properties.Where(p => p.Key is not ("run_id" or "run_number") && text.Contains("." + p.Key, StringComparison.Ordinal));
        definition.Add(new("contexts", ExpressionValue.FromObject([
            // The pair typed: a package Akka.Persistence.Sql brings adds another Append that a bare new() cannot choose from.
            new("loom", ExpressionValue.FromObject(loomContext.Append(new KeyValuePair<string, ExpressionValue>("job", ExpressionValue.FromString(job.Id))))),
            new("vars", ExpressionValue.FromStrings(run.Vars)),
            new("inputs", ExpressionValue.FromStrings(run.Inputs)),
            new("runner", RunnerContext.Value),
            new("matrix", unit.Matrix ?? ExpressionValue.Null),
        ]).ToJson()));

        var needs = new List<NeedOutcome>();
        foreach (var node in plan.Graph.NeedsOf(unit.Node))
        {
            var need = state.Jobs[node];
            if (need.Units.Count == 0)
                needs.Add(new NeedOutcome(need.Id, null, need.Result ?? Result.Skipped, UnitState.Empty));
            foreach (var done in need.Units)
                needs.Add(new NeedOutcome(done.Id, done.CacheKey, done.Result ?? Result.Skipped, done.Outputs));
        }
        return new CacheRequest(definition, steps.Select(s => s.Env).ToArray(), job.Inputs, job.Produces, needs, plan.ReadCache);
    }

    private static bool StepsUseExpressions(Job job)
    {
        if (job.Outputs.Count > 0)
            return true;
        foreach (var step in job.Steps)
        {
            if (Templates.HasExpression(step.Run) || !step.If.IsStatusOnly
                || step.Name is { } name && Templates.HasExpression(name)
                || step.Shell is { } shell && Templates.HasExpression(shell)
                || step.WorkingDirectory is { } directory && Templates.HasExpression(directory)
                || step.TimeoutMinutes is { IsExpression: true } || step.ContinueOnError.IsExpression
                || step.Env.Values.Any(Templates.HasExpression))
                return true;
        }
        return job.Defaults.Shell is { } s && Templates.HasExpression(s) || job.Defaults.WorkingDirectory is { } w && Templates.HasExpression(w);
    }

    /// <summary>What <c>strategy</c> itself may read: the run's contexts and <c>needs</c>, not the strategy or matrix it defines.</summary>
    private EvaluationContext StrategyContexts(int node, RunState state) =>
        runContexts.With("loom", WithJob(plan.Jobs[node].Id)).With("needs", NeedsContext(node, state));

    /// <summary>The contexts a job-level expression sees: the run's, plus needs, and for a cell its matrix and strategy.</summary>
    private EvaluationContext JobContexts(int node, RunState state, ExpressionValue? matrix) =>
        JobContexts(node, NeedsContext(node, state), matrix ?? ExpressionValue.Null, StrategyContext(node, state, null));

    /// <summary>What an expression of one unit (a job, or one matrix cell) sees: its matrix, and its place in the strategy.</summary>
    private EvaluationContext UnitContexts(UnitState unit, RunState state) =>
        JobContexts(unit.Node, NeedsContext(unit.Node, state), unit.Matrix ?? ExpressionValue.Null, StrategyContext(unit.Node, state, unit));

    private EvaluationContext JobContexts(int node, ExpressionValue needs, ExpressionValue matrix, ExpressionValue strategy) =>
        runContexts
            .With("loom", WithJob(plan.Jobs[node].Id))
            .With("needs", needs)
            .With("matrix", matrix)
            .With("strategy", strategy);

    private ExpressionValue WithJob(string jobId) =>
        ExpressionValue.FromObject(loom.Properties.Append(new KeyValuePair<string, ExpressionValue>("job", ExpressionValue.FromString(jobId))));

    private ExpressionValue StrategyContext(int node, RunState state, UnitState? unit)
    {
        if (plan.Jobs[node].Strategy is not { } strategy)
            return NoStrategy;
        var cells = state.Jobs[node].Units.Count;
        var failFast = strategy.FailFast.Expression is null ? strategy.FailFast.Value : FailFast(node, state);
        var maxParallel = strategy.MaxParallel is { Expression: null } literal ? literal.Value : cells;
        return ExpressionValue.FromObject([
            new("fail-fast", ExpressionValue.FromBoolean(failFast)),
            new("job-index", ExpressionValue.FromNumber(unit?.Cell ?? 0)),
            new("job-total", ExpressionValue.FromNumber(cells)),
            new("max-parallel", ExpressionValue.FromNumber(maxParallel)),
        ]);
    }

    private static ExpressionValue NeedsContext(int node, RunState state)
    {
        var graph = state.Plan.Graph;
        var needs = new List<KeyValuePair<string, ExpressionValue>>();
        foreach (var need in graph.NeedsOf(node))
        {
            var job = state.Jobs[need];
            var outputs = new Dictionary<string, string>(StringComparer.Ordinal);
            var cells = new List<ExpressionValue>(job.Units.Count);
            foreach (var unit in job.Units)
            {
                foreach (var (name, value) in unit.Outputs)
                    outputs[name] = value;
                cells.Add(ExpressionValue.FromObject([
                    new("matrix", unit.Matrix ?? ExpressionValue.Null),
                    new("result", ExpressionValue.FromString(Seen(unit.Result, unit.EffectiveResult).ToWire())),
                    new("outputs", ExpressionValue.FromStrings(unit.Outputs)),
                ]));
            }
            needs.Add(new(job.Id, ExpressionValue.FromObject([
                new("result", ExpressionValue.FromString(Seen(job.Result, job.EffectiveResult).ToWire())),
                new("outputs", ExpressionValue.FromStrings(outputs)),
                new("cells", ExpressionValue.FromArray(cells)),
            ])));
        }
        return ExpressionValue.FromObject(needs);
    }

    /// <summary>What GitHub gives a job without a matrix: one job of one.</summary>
    private static readonly ExpressionValue NoStrategy = ExpressionValue.FromObject([
        new("fail-fast", ExpressionValue.True),
        new("job-index", ExpressionValue.FromNumber(0)),
        new("job-total", ExpressionValue.FromNumber(1)),
        new("max-parallel", ExpressionValue.FromNumber(1)),
    ]);

    /// <summary>
    /// <c>needs.&lt;job&gt;.result</c>: <c>success</c> when continue-on-error made it so, else the job's own
    /// result — a timed-out job reads <c>cancelled</c>, though it counts as a failure for <c>failure()</c>.
    /// </summary>
    private static Result Seen(Result? result, Result? effective) =>
        effective == Result.Success ? Result.Success : result ?? effective ?? Result.Skipped;

    private static ExpressionValue LoomContext(RunPlan plan, RunContexts run)
    {
        var loom = new List<KeyValuePair<string, ExpressionValue>>();
        foreach (var (name, value) in run.Loom)
            loom.Add(new(name, ExpressionValue.FromString(value)));
        if (!run.Loom.ContainsKey("run_id"))
            loom.Add(new("run_id", ExpressionValue.FromString(plan.RunId)));
        if (!run.Loom.ContainsKey("workflow"))
            loom.Add(new("workflow", ExpressionValue.FromString(plan.Workflow.Name)));
        loom.Add(new("event", run.EventJson != "{}" && ExpressionValue.TryParseJson(run.EventJson, out var payload, out _) ? payload : ExpressionValue.FromObject([])));
        return ExpressionValue.FromObject(loom);
    }
}
