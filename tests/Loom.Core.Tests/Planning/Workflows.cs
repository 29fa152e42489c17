using Loom.Core.Diagnostics;
using Loom.Core.Model;
using Loom.Core.Planning;

namespace Loom.Core.Tests.Planning;

/// <summary>Small builders so graph tests state only ids, needs and titles.</summary>
internal static class Workflows
{
    private static readonly IReadOnlyDictionary<string, string> NoEnv = new Dictionary<string, string>();

    private static readonly Step Echo = new(0, null, null, "true", null, null, NoEnv, Condition.Default, null, false, SourceLocation.Start);

    public static Job Job(string id, params string[] needs) => Titled(id, null, needs);

    public static Job Titled(string id, string? title, params string[] needs) =>
        new(id, title, needs, Condition.Default, NoEnv, RunDefaults.None, Model.Job.DefaultTimeoutMinutes, false, ["linux"], [Echo], SourceLocation.Start);

    public static Workflow Of(string name, params Job[] jobs) =>
        new(name, ".loom.yml", NoEnv, RunDefaults.None, null, jobs);

    public static JobNode Node(string id, params string[] needs) => new(id, needs);

    public static JobGraph Graph(params JobNode[] nodes) =>
        JobGraph.Build(nodes).Graph ?? throw new InvalidOperationException("test graph is invalid");

    /// <summary>Ids of indices, for readable assertions.</summary>
    public static string[] IdsOf(this JobGraph graph, IEnumerable<int> jobs) => jobs.Select(graph.IdOf).ToArray();
}
