using Loom.Core.Planning;

namespace Loom.Cli.Commands;

public static class GraphCommand
{
    public static int Execute(string[] args)
    {
        var line = CommandLine.Parse(args, new HashSet<string> { WorkflowFiles.SkipUses }, new HashSet<string>(WorkflowFiles.LimitOptions) { "--format" });
        var format = (line.Value("--format") ?? "ascii") switch
        {
            "ascii" => GraphFormat.Ascii,
            "mermaid" => GraphFormat.Mermaid,
            "dot" => GraphFormat.Dot,
            "json" => GraphFormat.Json,
            var other => throw new UsageException($"--format must be ascii, mermaid, dot or json, not '{other}'"),
        };
        var workflow = WorkflowFiles.LoadOrReport(WorkflowFiles.Resolve(line), WorkflowFiles.Limits(line), line);
        if (workflow is null)
            return ExitCodes.Usage;
        Console.Out.Write(GraphRenderer.Render(workflow, JobGraph.FromWorkflow(workflow), format));
        return ExitCodes.Success;
    }
}
