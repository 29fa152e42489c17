using Loom.Core.Model;

namespace Loom.Core.Parsing;

/// <summary>Turns raw records that passed validation into the model; every value here is known to be well-formed.</summary>
internal static class WorkflowFactory
{
    private const string ImplicitFileName = ".loom.yml";

    /// <param name="filePath">Where the file is, to name a <c>.loom.yml</c> after its folder; null: <paramref name="displayPath"/> resolved here.</param>
    public static Workflow Create(RawWorkflow raw, string displayPath, string? filePath = null) => new(
        raw.Name ?? DefaultName(displayPath, filePath),
        displayPath,
        raw.Env,
        raw.Defaults,
        raw.MaxParallel is null ? null : PositiveInteger(raw.MaxParallel),
        Map(raw.Jobs, CreateJob))
    {
        Concurrency = ToConcurrency(raw.Concurrency),
    };

    private static Job CreateJob(RawJob raw) => new(
        raw.Id.Value,
        raw.Name,
        DistinctValues(raw.Needs),
        ToCondition(raw.If),
        raw.Env,
        raw.Defaults,
        raw.TimeoutMinutes is null ? Job.DefaultTimeoutMinutes : TimeoutMinutes(raw.TimeoutMinutes),
        raw.ContinueOnError is null ? false : Boolean(raw.ContinueOnError),
        raw.RunsOn,
        CreateSteps(raw.Steps),
        raw.Id.Location)
    {
        Outputs = raw.Outputs.Count == 0 ? Job.EmptyMap : raw.Outputs.ToDictionary(o => o.Name.Value, o => o.Value.Value, StringComparer.Ordinal),
        Strategy = ToStrategy(raw.Strategy),
        Retry = ToRetry(raw.Retry),
        Inputs = Values(raw.Inputs),
        Produces = Values(raw.Produces),
        Cache = raw.Cache is not null && Boolean(raw.Cache).Value,
        Concurrency = ToConcurrency(raw.Concurrency),
    };

    /// <summary>Steps in order; <c>uses:</c> steps reached here only under <c>--skip-uses</c> and are left out.</summary>
    private static Step[] CreateSteps(IReadOnlyList<RawStep> raw)
    {
        var steps = new List<Step>(raw.Count);
        foreach (var step in raw)
        {
            if (!step.UsesAction)
                steps.Add(CreateStep(step, steps.Count));
        }
        return steps.ToArray();
    }

    private static Step CreateStep(RawStep raw, int index) => new(
        index,
        raw.Id?.Value,
        raw.Name,
        ((ScalarNode)raw.Run!).Value,
        raw.Shell,
        raw.WorkingDirectory,
        raw.Env,
        ToCondition(raw.If),
        raw.TimeoutMinutes is null ? null : TimeoutMinutes(raw.TimeoutMinutes),
        raw.ContinueOnError is null ? false : Boolean(raw.ContinueOnError),
        raw.Location);

    private static ConcurrencyGroup? ToConcurrency(YamlNode? node) => node switch
    {
        ScalarNode scalar => new ConcurrencyGroup(scalar.Value, false),
        MappingNode map => new ConcurrencyGroup(
            ((ScalarNode)map["group"]!).Value,
            map["cancel-in-progress"] is { } cancel ? Boolean(cancel) : false),
        _ => null,
    };

    private static RetryPolicy? ToRetry(YamlNode? node) => node is MappingNode map
        ? new RetryPolicy(
            PositiveInteger(map["max-attempts"]!),
            map["backoff-seconds"] is ScalarNode backoff && ScalarValues.TryNonNegativeNumber(backoff, out var seconds) ? seconds : 0)
        : null;

    private static Strategy? ToStrategy(YamlNode? node)
    {
        if (node is not MappingNode map)
            return null;
        return new Strategy(
            map["fail-fast"] is { } failFast ? Boolean(failFast) : true,
            map["max-parallel"] is ScalarNode maxParallel
                ? maxParallel.HasExpression ? new Setting<int>(0, maxParallel.Value) : PositiveInteger(maxParallel)
                : null,
            map["matrix"] is { } matrix ? ToData(matrix) : null);
    }

    /// <summary>The matrix as data; recursion is bounded by the nesting limit (--max-depth).</summary>
    internal static DataNode ToData(YamlNode root)
    {
        switch (root)
        {
            case ScalarNode scalar:
                return new DataScalar(scalar.Value, scalar.IsPlain);
            case SequenceNode list:
                return new DataList(Map(list.Items, ToData));
            default:
                var map = (MappingNode)root;
                var entries = new KeyValuePair<string, DataNode>[map.Entries.Length];
                for (var i = 0; i < entries.Length; i++)
                    entries[i] = new(map.Entries[i].Key.Value, ToData(map.Entries[i].Value));
                return new DataMap(entries);
        }
    }


    private static string[] Values(IReadOnlyList<ScalarNode> scalars)
    {
        var values = new string[scalars.Count];
        for (var i = 0; i < values.Length; i++)
            values[i] = scalars[i].Value;
        return values;
    }

    private static TOut[] Map<TIn, TOut>(IReadOnlyList<TIn> items, Func<TIn, TOut> create)
    {
        var result = new TOut[items.Count];
        for (var i = 0; i < result.Length; i++)
            result[i] = create(items[i]);
        return result;
    }

    /// <summary><c>needs</c> in order, a repeated id kept once. Most lists are short and a scan beats a set; a long one gets the set.</summary>
    private static string[] DistinctValues(IReadOnlyList<ScalarNode> needs)
    {
        var values = new List<string>(needs.Count);
        var seen = needs.Count > 8 ? new HashSet<string>(needs.Count, StringComparer.Ordinal) : null;
        foreach (var need in needs)
        {
            if (seen?.Add(need.Value) ?? !values.Contains(need.Value))
                values.Add(need.Value);
        }
        return values.ToArray();
    }

    /// <summary>Spec §1: the folder's name for a <c>.loom.yml</c>, else the path as given.</summary>
    private static string DefaultName(string displayPath, string? filePath)
    {
        if (Path.GetFileName(displayPath) != ImplicitFileName)
            return displayPath;
        try
        {
            var folder = Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(filePath ?? displayPath)));
            return string.IsNullOrEmpty(folder) ? displayPath : folder;
        }
        catch (Exception e) when (e is ArgumentException or IOException)
        {
            return displayPath;
        }
    }

    private static Condition ToCondition(ScalarNode? node) =>
        node is null ? Condition.Default : Condition.TryParse(node.Value, out _, out _)!;

    private static Setting<double> TimeoutMinutes(YamlNode node) =>
        node is ScalarNode { HasExpression: true } scalar ? new Setting<double>(Job.DefaultTimeoutMinutes, scalar.Value)
        : ScalarValues.TryTimeoutMinutes((ScalarNode)node, out var value) ? value : throw Unvalidated(node);

    private static int PositiveInteger(YamlNode node) => ScalarValues.TryPositiveInteger((ScalarNode)node, out var value) ? value : throw Unvalidated(node);

    private static Setting<bool> Boolean(YamlNode node) =>
        node is ScalarNode { HasExpression: true } scalar ? new Setting<bool>(false, scalar.Value)
        : ScalarValues.TryBoolean((ScalarNode)node, out var value) ? value : throw Unvalidated(node);

    private static InvalidOperationException Unvalidated(YamlNode node) =>
        new($"the value at {node.Location} reached the model without being validated");
}
