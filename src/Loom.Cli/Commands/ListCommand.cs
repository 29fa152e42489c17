using System.Text.Json;
using Loom.Core.Planning;

namespace Loom.Cli.Commands;

public static class ListCommand
{
    public static int Execute(string[] args)
    {
        var line = CommandLine.Parse(args, new HashSet<string> { "--json", WorkflowFiles.SkipUses }, WorkflowFiles.LimitOptions);
        var workflow = WorkflowFiles.LoadOrReport(WorkflowFiles.Resolve(line), WorkflowFiles.Limits(line), line);
        if (workflow is null)
            return ExitCodes.Usage;
        var graph = JobGraph.FromWorkflow(workflow);
        var levels = graph.Levels();
        var rows = graph.TopologicalOrder.Select((index, order) => new
        {
            order = order + 1,
            id = graph.IdOf(index),
            name = workflow.Jobs[index].Title,
            needs = graph.NeedsOf(index).Select(graph.IdOf).ToArray(),
            level = levels[index],
        }).ToList();
        using var output = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = false };
        if (line.Has("--json"))
        {
            output.WriteLine(JsonSerializer.Serialize(new { name = workflow.Name, jobs = rows }));
            return ExitCodes.Success;
        }
        var idWidth = Math.Max(3, rows.Max(r => r.id.Length));
        output.WriteLine($"{"#",5}  {"job".PadRight(idWidth)}  needs");
        foreach (var row in rows)
            output.WriteLine($"{row.order,5}  {row.id.PadRight(idWidth)}  {(row.needs.Length == 0 ? "-" : string.Join(", ", row.needs))}");
        return ExitCodes.Success;
    }
}
