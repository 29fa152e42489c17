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
        raw.Jobs.Select(CreateJob).ToArray());

    private static Job CreateJob(RawJob raw) => new(
        raw.Id.Value,
        raw.Name,
        raw.Needs.Select(n => n.Value).Distinct(StringComparer.Ordinal).ToArray(),
        ToCondition(raw.If),
        raw.Env,
        raw.Defaults,
        raw.TimeoutMinutes is null ? Job.DefaultTimeoutMinutes : PositiveNumber(raw.TimeoutMinutes),
        raw.ContinueOnError is not null && Boolean(raw.ContinueOnError),
        raw.RunsOn,
        raw.Steps.Select(CreateStep).ToArray(),
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
        raw.TimeoutMinutes is null ? null : PositiveNumber(raw.TimeoutMinutes),
        raw.ContinueOnError is not null && Boolean(raw.ContinueOnError),
        raw.Location);

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

    private static double PositiveNumber(YamlNode node) => ScalarValues.TryPositiveNumber((ScalarNode)node, out var value) ? value : throw Unvalidated(node);

    private static int PositiveInteger(YamlNode node) => ScalarValues.TryPositiveInteger((ScalarNode)node, out var value) ? value : throw Unvalidated(node);

    private static bool Boolean(YamlNode node) => ScalarValues.TryBoolean((ScalarNode)node, out var value) ? value : throw Unvalidated(node);

    private static InvalidOperationException Unvalidated(YamlNode node) =>
        new($"the value at {node.Location} reached the model without being validated");
}
