namespace Loom.Cli.Commands;

public static class ValidateCommand
{
    public static int Execute(string[] args)
    {
        var line = CommandLine.Parse(args, new HashSet<string> { WorkflowFiles.SkipUses }, WorkflowFiles.LimitOptions);
        var path = WorkflowFiles.Resolve(line);
        var workflow = WorkflowFiles.LoadOrReport(path, WorkflowFiles.Limits(line), line);
        if (workflow is null)
            return ExitCodes.Usage;
        Console.Out.WriteLine($"{path}: ok ({workflow.Jobs.Count} jobs)");
        return ExitCodes.Success;
    }
}
