using System.Collections.ObjectModel;
using Loom.Core.Diagnostics;
using Loom.Core.Expressions;
using Loom.Core.Model;

namespace Loom.Core.Parsing;

/// <summary>
/// The workflow as read from the tree: the shape is checked, values that still need checking are kept as
/// nodes with their positions (typed values as any node, so the validator can name the expected type).
/// A null field was absent or YAML null.
/// </summary>
internal sealed record RawWorkflow(
    SourceLocation Location,
    string? Name,
    IReadOnlyDictionary<string, string> Env,
    RunDefaults Defaults,
    YamlNode? MaxParallel,
    YamlNode? JobsNode,
    IReadOnlyList<RawJob> Jobs,
    YamlNode? Concurrency,
    IReadOnlyList<ExpressionSite> Sites);

/// <param name="Id">The job's key in <c>jobs</c>.</param>
/// <param name="Location">Where the job's mapping starts: a missing key is reported there.</param>
/// <param name="HasBody">False when the job is not a mapping (already reported); it still counts as a job for <c>needs</c>.</param>
internal sealed record RawJob(
    YamlKey Id,
    SourceLocation Location,
    bool HasBody,
    string? Name,
    IReadOnlyList<string> RunsOn,
    IReadOnlyList<ScalarNode> Needs,
    ScalarNode? If,
    IReadOnlyDictionary<string, string> Env,
    RunDefaults Defaults,
    YamlNode? TimeoutMinutes,
    YamlNode? ContinueOnError,
    YamlNode? StepsNode,
    IReadOnlyList<RawStep> Steps,
    IReadOnlyList<RawOutput> Outputs,
    YamlNode? Strategy,
    YamlNode? Retry,
    IReadOnlyList<ScalarNode> Inputs,
    IReadOnlyList<ScalarNode> Produces,
    YamlNode? Cache,
    YamlNode? Concurrency,
    IReadOnlyList<ExpressionSite> Sites)
{
    public static RawJob WithoutBody(YamlKey id) => new(
        id, id.Location, false, null, [], [], null, ReadOnlyDictionary<string, string>.Empty, RunDefaults.None, null, null, null, [],
        [], null, null, [], [], null, null, []);
}

/// <param name="Number">1-based position in the job's <c>steps</c>, as messages name it.</param>
/// <param name="UsesAction">The step has <c>uses:</c> (reported, or skipped under <c>--skip-uses</c>), so a missing <c>run</c> is not news.</param>
internal sealed record RawStep(
    string JobId,
    int Number,
    SourceLocation Location,
    ScalarNode? Id,
    string? Name,
    YamlNode? Run,
    string? Shell,
    string? WorkingDirectory,
    IReadOnlyDictionary<string, string> Env,
    ScalarNode? If,
    YamlNode? TimeoutMinutes,
    YamlNode? ContinueOnError,
    bool UsesAction,
    IReadOnlyList<ExpressionSite> Sites)
{
    public string Title => TitleOf(JobId, Number);

    public static string TitleOf(string jobId, int number) => $"step {number} of job {MessageText.Quote(jobId)}";
}

/// <summary>A scalar holding <c>${{ }}</c> (or an <c>if</c>), checked by the expression checker with its place.</summary>
/// <remarks>A class, not a struct: a list of structs is generic code ReadyToRun cannot precompile, JIT-ed at every start.</remarks>
internal sealed record ExpressionSite(ScalarNode Node, ExpressionPlace Place);

/// <summary>One entry of a job's <c>outputs</c>: its name and template.</summary>
internal sealed record RawOutput(YamlKey Name, ScalarNode Value);
