using System.Collections.ObjectModel;
using Loom.Core.Diagnostics;
using Loom.Core.Expressions;
using Loom.Core.Model;

namespace Loom.Core.Parsing;

/// <summary>
/// Reads the YAML tree into raw records, reporting what is wrong with its shape: wrong node kinds, unknown
/// keys, <c>uses:</c> steps and <c>${{ }}</c> where spec §4 allows none. Every <c>${{ }}</c> is recorded with
/// its place for the expression checker; value checks are left to the validators.
/// </summary>
internal sealed class WorkflowReader(DiagnosticBag errors, ParseLimits limits, Suggester suggester, LoadOptions options)
{
    // The sites of the mapping being read (workflow, job or step): set by each Read method for its own scope.
    private List<ExpressionSite> sites = [];

    /// <summary>Null when there is nothing further to validate: the root is not a mapping, or a limit was hit.</summary>
    public RawWorkflow? Read(YamlNode? root)
    {
        if (root is null or ScalarNode { IsNull: true })
            return new RawWorkflow(root?.Location ?? SourceLocation.Start, null, ReadOnlyDictionary<string, string>.Empty, RunDefaults.None, null, null, [], null, []);
        if (root is not MappingNode map)
        {
            errors.Add(root.Location, "a workflow must be a mapping with 'jobs'");
            return null;
        }

        string? name = null;
        IReadOnlyDictionary<string, string> env = ReadOnlyDictionary<string, string>.Empty;
        var defaults = RunDefaults.None;
        YamlNode? maxParallel = null, jobsNode = null, concurrency = null;
        IReadOnlyList<RawJob> jobs = [];
        var workflowSites = sites = [];
        foreach (var (key, value) in map.Entries)
        {
            sites = workflowSites;
            switch (key.Value)
            {
                case "name":
                    name = ReadString(key.Value, value);
                    break;
                case "env":
                    env = ReadEnv(value, ExpressionPlace.WorkflowEnv);
                    break;
                case "defaults":
                    defaults = ReadDefaults(value, ExpressionPlace.JobEnv);
                    break;
                case "max-parallel":
                    maxParallel = ReadValue(key.Value, value);
                    break;
                case "concurrency":
                    concurrency = ReadConcurrency(value, ExpressionPlace.WorkflowConcurrency);
                    break;
                case "jobs" when value is not ScalarNode { IsNull: true }:
                    jobsNode = value;
                    if (ReadJobs(value) is not { } read)
                        return null;
                    jobs = read;
                    break;
                case "jobs":
                    break;
                default:
                    if (!IsAccepted(key, KeySet.Workflow))
                        ReportKey(key, KeySet.Workflow, "in the workflow");
                    break;
            }
        }
        return new RawWorkflow(map.Location, name, env, defaults, maxParallel, jobsNode, jobs, concurrency, workflowSites);
    }

    private List<RawJob>? ReadJobs(YamlNode value)
    {
        if (value is not MappingNode map)
        {
            errors.Add(value.Location, "'jobs' must be a mapping of job ids to jobs");
            return [];
        }
        if (map.Entries.Length > limits.MaxJobs)
        {
            errors.Add(map.Entries[Math.Max(0, limits.MaxJobs)].Key.Location, LimitMessages.TooManyJobs(limits));
            return null;
        }
        var jobs = new List<RawJob>(map.Entries.Length);
        foreach (var (id, body) in map.Entries)
            jobs.Add(ReadJob(id, body));
        return jobs;
    }

    private RawJob ReadJob(YamlKey id, YamlNode value)
    {
        if (value is not MappingNode map)
        {
            errors.Add(value.Location, $"{JobTitle(id.Value)} must be a mapping");
            return RawJob.WithoutBody(id);
        }

        string? name = null;
        IReadOnlyList<string> runsOn = [];
        IReadOnlyList<ScalarNode> needs = [];
        ScalarNode? condition = null;
        YamlNode? timeout = null, continueOnError = null;
        IReadOnlyDictionary<string, string> env = ReadOnlyDictionary<string, string>.Empty;
        var defaults = RunDefaults.None;
        YamlNode? stepsNode = null, strategy = null, retry = null, cache = null, concurrency = null;
        IReadOnlyList<RawStep> steps = [];
        IReadOnlyList<RawOutput> outputs = [];
        IReadOnlyList<ScalarNode> inputs = [], produces = [];
        var jobSites = new List<ExpressionSite>();
        foreach (var (key, entry) in map.Entries)
        {
            sites = jobSites;
            switch (key.Value)
            {
                case "name":
                    name = ReadString(key.Value, entry, ExpressionPlace.JobSetting);
                    break;
                case "runs-on":
                    runsOn = Values(ReadScalarList(key.Value, entry, "a string or a list of strings", ExpressionPlace.JobSetting));
                    break;
                case "needs":
                    needs = ReadScalarList(key.Value, entry, "a job id or a list of job ids");
                    break;
                case "if":
                    condition = ReadCondition(entry, ExpressionPlace.JobIf);
                    break;
                case "env":
                    env = ReadEnv(entry, ExpressionPlace.JobEnv);
                    break;
                case "defaults":
                    defaults = ReadDefaults(entry, ExpressionPlace.JobEnv);
                    break;
                case "timeout-minutes":
                    timeout = ReadValue(key.Value, entry, ExpressionPlace.JobSetting);
                    break;
                case "continue-on-error":
                    continueOnError = ReadValue(key.Value, entry, ExpressionPlace.JobSetting);
                    break;
                case "outputs":
                    outputs = ReadOutputs(entry);
                    break;
                case "strategy":
                    strategy = ReadTree(entry, ExpressionPlace.JobStrategy);
                    break;
                case "retry":
                    retry = ReadValue(key.Value, entry);
                    break;
                case "inputs":
                    inputs = ReadScalarList(key.Value, entry, "a glob or a list of globs");
                    break;
                case "produces":
                    produces = ReadScalarList(key.Value, entry, "a glob or a list of globs");
                    break;
                case "cache":
                    cache = ReadValue(key.Value, entry);
                    break;
                case "concurrency":
                    concurrency = ReadConcurrency(entry, ExpressionPlace.JobSetting);
                    break;
                case "steps" when entry is not ScalarNode { IsNull: true }:
                    stepsNode = entry;
                    steps = ReadSteps(id.Value, entry);
                    break;
                case "steps":
                    break;
                default:
                    if (!IsAccepted(key, KeySet.Job))
                        ReportKey(key, KeySet.Job, $"in {JobTitle(id.Value)}");
                    break;
            }
        }
        return new RawJob(id, map.Location, true, name, runsOn, needs, condition, env, defaults, timeout, continueOnError, stepsNode, steps,
            outputs, strategy, retry, inputs, produces, cache, concurrency, jobSites);
    }

    private List<RawStep> ReadSteps(string jobId, YamlNode value)
    {
        if (value is not SequenceNode list)
        {
            errors.Add(value.Location, "'steps' must be a list");
            return [];
        }
        var steps = new List<RawStep>(list.Items.Length);
        var jobSites = sites;
        for (var i = 0; i < list.Items.Length; i++)
        {
            if (ReadStep(jobId, i + 1, list.Items[i]) is { } step)
                steps.Add(step);
        }
        sites = jobSites;
        return steps;
    }

    private RawStep? ReadStep(string jobId, int number, YamlNode value)
    {
        if (value is not MappingNode map)
        {
            errors.Add(value.Location, $"{RawStep.TitleOf(jobId, number)} must be a mapping");
            return null;
        }

        ScalarNode? id = null, condition = null;
        YamlNode? run = null, timeout = null, continueOnError = null;
        string? name = null, shell = null, workingDirectory = null;
        IReadOnlyDictionary<string, string> env = ReadOnlyDictionary<string, string>.Empty;
        var usesAction = HasKey(map, "uses");
        var stepSites = sites = [];
        foreach (var (key, entry) in map.Entries)
        {
            switch (key.Value)
            {
                case "id":
                    id = ReadScalar(key.Value, entry);
                    break;
                case "name":
                    name = ReadString(key.Value, entry, ExpressionPlace.StepSetting);
                    break;
                case "run":
                    run = ReadValue(key.Value, entry, ExpressionPlace.StepSetting);
                    if (run is not (null or ScalarNode))
                        errors.Add(entry.Location, "'run' must be a string");
                    break;
                case "shell":
                    shell = ReadString(key.Value, entry, ExpressionPlace.StepSetting);
                    break;
                case "working-directory":
                    workingDirectory = ReadString(key.Value, entry, ExpressionPlace.StepSetting);
                    break;
                case "env":
                    env = ReadEnv(entry, ExpressionPlace.StepSetting);
                    break;
                case "if":
                    condition = ReadCondition(entry, ExpressionPlace.StepIf);
                    break;
                case "timeout-minutes":
                    timeout = ReadValue(key.Value, entry, ExpressionPlace.StepSetting);
                    break;
                case "continue-on-error":
                    continueOnError = ReadValue(key.Value, entry, ExpressionPlace.StepSetting);
                    break;
                case "uses":
                    var action = entry is ScalarNode scalar ? $" {MessageText.Quote(scalar.Value)}" : "";
                    if (options.SkipUses)
                        errors.Warn(key.Location, $"{RawStep.TitleOf(jobId, number)} uses{action}: skipped (--skip-uses)");
                    else
                        errors.Add(key.Location, $"{RawStep.TitleOf(jobId, number)} uses{action}: only 'run:' steps are supported (--skip-uses skips such steps)");
                    break;
                case "with":
                    if (!usesAction)
                        errors.Add(key.Location, $"'with' in {RawStep.TitleOf(jobId, number)} belongs to a 'uses' step");
                    break;
                default:
                    if (!IsAccepted(key, KeySet.Step))
                        ReportKey(key, KeySet.Step, $"in {RawStep.TitleOf(jobId, number)}");
                    break;
            }
        }
        return new RawStep(jobId, number, map.Location, id, name, run, shell, workingDirectory, env, condition, timeout, continueOnError, usesAction, stepSites);
    }

    private IReadOnlyDictionary<string, string> ReadEnv(YamlNode value, ExpressionPlace place)
    {
        if (value is ScalarNode { IsNull: true })
            return ReadOnlyDictionary<string, string>.Empty;
        if (value is not MappingNode map)
        {
            errors.Add(value.Location, "'env' must be a mapping of names to values");
            return ReadOnlyDictionary<string, string>.Empty;
        }
        var env = new Dictionary<string, string>(map.Entries.Length, StringComparer.Ordinal);
        foreach (var (key, entry) in map.Entries)
        {
            if (entry is not ScalarNode scalar)
            {
                errors.Add(entry.Location, $"env variable {MessageText.Quote(key.Value)} must be a string, number or boolean");
                continue;
            }
            Record(scalar, place);
            env[key.Value] = scalar.IsNull ? "" : scalar.Value;
        }
        return env;
    }

    private RunDefaults ReadDefaults(YamlNode value, ExpressionPlace place)
    {
        if (value is ScalarNode { IsNull: true })
            return RunDefaults.None;
        if (value is not MappingNode map)
        {
            errors.Add(value.Location, "'defaults' must be a mapping");
            return RunDefaults.None;
        }
        var defaults = RunDefaults.None;
        foreach (var (key, entry) in map.Entries)
        {
            if (key.Value == "run")
                defaults = ReadRunDefaults(entry, place);
            else if (!IsAccepted(key, KeySet.Defaults))
                ReportKey(key, KeySet.Defaults, "in 'defaults'");
        }
        return defaults;
    }

    private RunDefaults ReadRunDefaults(YamlNode value, ExpressionPlace place)
    {
        if (value is ScalarNode { IsNull: true })
            return RunDefaults.None;
        if (value is not MappingNode map)
        {
            errors.Add(value.Location, "'defaults.run' must be a mapping");
            return RunDefaults.None;
        }
        string? shell = null, workingDirectory = null;
        foreach (var (key, entry) in map.Entries)
        {
            switch (key.Value)
            {
                case "shell":
                    shell = ReadString(key.Value, entry, place);
                    break;
                case "working-directory":
                    workingDirectory = ReadString(key.Value, entry, place);
                    break;
                default:
                    if (!IsAccepted(key, KeySet.DefaultsRun))
                        ReportKey(key, KeySet.DefaultsRun, "in 'defaults.run'");
                    break;
            }
        }
        return new RunDefaults(shell, workingDirectory);
    }

    /// <summary>A string or a list of strings, as <c>runs-on</c> and <c>needs</c> take.</summary>
    private IReadOnlyList<ScalarNode> ReadScalarList(string key, YamlNode value, string expected, ExpressionPlace? place = null)
    {
        switch (value)
        {
            case ScalarNode { IsNull: true }:
                return [];
            case ScalarNode scalar:
                CheckExpression(key, scalar, place);
                return [scalar];
            case SequenceNode list:
                var items = new List<ScalarNode>(list.Items.Length);
                foreach (var item in list.Items)
                {
                    if (item is ScalarNode { IsNull: false } scalar)
                    {
                        CheckExpression(key, scalar, place);
                        items.Add(scalar);
                    }
                    else
                        errors.Add(item.Location, $"'{key}' must be {expected}");
                }
                return items;
            default:
                errors.Add(value.Location, $"'{key}' must be {expected}");
                return [];
        }
    }

    private static string JobTitle(string id) => $"job {MessageText.Quote(id)}";

    private static bool HasKey(MappingNode map, string name)
    {
        foreach (var entry in map.Entries)
        {
            if (entry.Key.Value == name)
                return true;
        }
        return false;
    }

    private static string[] Values(IReadOnlyList<ScalarNode> scalars)
    {
        var values = new string[scalars.Count];
        for (var i = 0; i < values.Length; i++)
            values[i] = scalars[i].Value;
        return values;
    }

    private string? ReadString(string key, YamlNode value, ExpressionPlace? place = null) => ReadScalar(key, value, place)?.Value;

    /// <summary>A string value; null when YAML null or not a scalar (reported).</summary>
    private ScalarNode? ReadScalar(string key, YamlNode value, ExpressionPlace? place = null)
    {
        if (value is ScalarNode)
            return (ScalarNode?)ReadValue(key, value, place);
        errors.Add(value.Location, $"'{key}' must be a string");
        return null;
    }

    /// <summary>A value whose type the validators check; null when YAML null. <paramref name="place"/> null: no <c>${{ }}</c> allowed.</summary>
    private YamlNode? ReadValue(string key, YamlNode value, ExpressionPlace? place = null)
    {
        if (value is not ScalarNode scalar)
            return value;
        if (scalar.IsNull)
            return null;
        CheckExpression(key, scalar, place);
        return scalar;
    }

    /// <summary>An <c>if</c>: an expression with or without <c>${{ }}</c>, so always checked.</summary>
    private ScalarNode? ReadCondition(YamlNode value, ExpressionPlace place)
    {
        if (value is ScalarNode scalar)
        {
            if (scalar.IsNull)
                return null;
            sites.Add(new ExpressionSite(scalar, place));
            return scalar;
        }
        errors.Add(value.Location, "'if' must be a string");
        return null;
    }

    /// <summary><c>outputs</c>: names to templates, read after the job's steps (spec §2).</summary>
    private RawOutput[] ReadOutputs(YamlNode value)
    {
        if (value is ScalarNode { IsNull: true })
            return [];
        if (value is not MappingNode map)
        {
            errors.Add(value.Location, "'outputs' must be a mapping of names to values");
            return [];
        }
        var outputs = new List<RawOutput>(map.Entries.Length);
        foreach (var (key, entry) in map.Entries)
        {
            if (entry is not ScalarNode scalar)
            {
                errors.Add(entry.Location, $"output {MessageText.Quote(key.Value)} must be a string");
                continue;
            }
            Record(scalar, ExpressionPlace.JobOutputs);
            outputs.Add(new RawOutput(key, scalar));
        }
        return outputs.ToArray();
    }

    /// <summary><c>concurrency</c>: a group string, or a mapping with <c>group</c> and <c>cancel-in-progress</c>.</summary>
    private YamlNode? ReadConcurrency(YamlNode value, ExpressionPlace place)
    {
        if (value is ScalarNode { IsNull: true })
            return null;
        return ReadTree(value, place);
    }

    /// <summary>A subtree whose shape a validator checks; every <c>${{ }}</c> in it is recorded.</summary>
    private YamlNode ReadTree(YamlNode value, ExpressionPlace place)
    {
        foreach (var scalar in value.Scalars())
            Record(scalar, place);
        return value;
    }

    private void Record(ScalarNode scalar, ExpressionPlace place)
    {
        if (scalar.HasExpression)
            sites.Add(new ExpressionSite(scalar, place));
    }

    private void CheckExpression(string key, ScalarNode scalar, ExpressionPlace? place)
    {
        if (!scalar.HasExpression)
            return;
        if (place is { } allowed)
            sites.Add(new ExpressionSite(scalar, allowed));
        else
            errors.Add(scalar.Location, $"expressions are not allowed in '{key}'");
    }

    /// <summary>A key outside the ones read: <c>x-</c> extensions and ignored keys pass; the caller reports the rest.</summary>
    private static bool IsAccepted(YamlKey key, KeySet keys) =>
        (keys.AllowsExtensions && key.Value.StartsWith("x-", StringComparison.Ordinal)) || keys.Ignored.Contains(key.Value);

    /// <param name="where">Built by the caller only for a key to report, so valid files allocate no message text.</param>
    private void ReportKey(YamlKey key, KeySet keys, string where)
    {
        var name = key.Value;
        if (keys.Unsupported.Contains(name))
        {
            errors.Add(key.Location, $"'{name}' is not supported: Loom runs steps on this machine, without containers or deployment environments");
            return;
        }
        var hint = suggester.Closest(name, keys.All, ignoreCase: true);
        errors.Add(key.Location, $"unknown key {MessageText.Quote(name)} {where}{MessageText.DidYouMean(hint)}");
    }
}
