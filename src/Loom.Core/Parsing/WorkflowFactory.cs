using Loom.Core.Model;

namespace Loom.Core.Parsing;

/// <summary>Turns raw records that passed validation into the model; every value here is known to be well-formed.</summary>
internal static class WorkflowFactory
{
    private const string ImplicitFileName = ".loom.yml";

    public static Workflow Create(RawWorkflow raw, string displayPath) => new(
        raw.Name ?? DefaultName(displayPath),
        displayPath,
        raw.Env,
        raw.Defaults,
        raw.MaxParallel is null ? null : PositiveInteger(raw.MaxParallel),
        Map(raw.Jobs, CreateJob));

    private static Job CreateJob(RawJob raw) => new(
        raw.Id.Value,
        raw.Name,
        DistinctValues(raw.Needs),
        ToCondition(raw.If),
        raw.Env,
        raw.Defaults,
        raw.TimeoutMinutes is null ? Job.DefaultTimeoutMinutes : TimeoutMinutes(raw.TimeoutMinutes),
        raw.ContinueOnError is not null && Boolean(raw.ContinueOnError),
        raw.RunsOn,
        Map(raw.Steps, CreateStep),
        raw.Id.Location);

    private static Step CreateStep(RawStep raw) => new(
        raw.Number - 1,
        raw.Id?.Value,
        raw.Name,
        ((ScalarNode)raw.Run!).Value,
        raw.Shell,
        raw.WorkingDirectory,
        raw.Env,
        ToCondition(raw.If),
        raw.TimeoutMinutes is null ? null : TimeoutMinutes(raw.TimeoutMinutes),
        raw.ContinueOnError is not null && Boolean(raw.ContinueOnError),
        raw.Location);

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
    private static string DefaultName(string displayPath)
    {
        if (Path.GetFileName(displayPath) != ImplicitFileName)
            return displayPath;
        try
        {
            var folder = Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(displayPath)));
            return string.IsNullOrEmpty(folder) ? displayPath : folder;
        }
        catch (Exception e) when (e is ArgumentException or IOException)
        {
            return displayPath;
        }
    }

    private static Condition ToCondition(ScalarNode? node) =>
        node is null ? Condition.Default : Condition.TryParse(node.Value, out _, out _)!;

    private static double TimeoutMinutes(YamlNode node) => ScalarValues.TryTimeoutMinutes((ScalarNode)node, out var value) ? value : throw Unvalidated(node);

    private static int PositiveInteger(YamlNode node) => ScalarValues.TryPositiveInteger((ScalarNode)node, out var value) ? value : throw Unvalidated(node);

    private static bool Boolean(YamlNode node) => ScalarValues.TryBoolean((ScalarNode)node, out var value) ? value : throw Unvalidated(node);

    private static InvalidOperationException Unvalidated(YamlNode node) =>
        new($"the value at {node.Location} reached the model without being validated");
}
