using Loom.Actors.Hosting;
using Loom.Core.Model;
using Loom.Core.Parsing;

namespace Loom.Cli.Commands;

public static class WorkflowFiles
{
    public const string DefaultName = ".loom.yml";

    /// <summary>The file the user named, else <c>.loom.yml</c> in the current folder.</summary>
    public static string Resolve(CommandLine line) => line.File ?? DefaultName;

    /// <summary>Loads and validates; prints every error to stderr and returns null when invalid.</summary>
    /// <summary>Loads with the command's <c>--skip-uses</c>; prints warnings and every error to stderr, returns null when invalid.</summary>
    public static Workflow? LoadOrReport(string path, ParseLimits limits, CommandLine line)
    {
        var result = WorkflowLoader.LoadFile(path, limits, new LoadOptions(line.Has(SkipUses)));
        foreach (var warning in result.Warnings)
            Console.Error.WriteLine(warning);
        foreach (var error in result.Errors)
            Console.Error.WriteLine(error);
        return result.Workflow;
    }

    public const string SkipUses = "--skip-uses";

    public static readonly HashSet<string> LimitOptions = ["--max-file-size", "--max-scalar-size", "--max-depth", "--max-nodes", "--max-alias-nodes", "--max-jobs"];

    /// <summary>Spec §7 limits, each overridable on the command line.</summary>
    public static ParseLimits Limits(CommandLine line)
    {
        var limits = ParseLimits.Default;
        if (line.PositiveInt("--max-file-size") is { } fileMiB)
            limits = limits with { MaxFileBytes = fileMiB * 1024L * 1024 };
        if (line.PositiveInt("--max-scalar-size") is { } scalarKiB)
            limits = limits with { MaxScalarBytes = checked(scalarKiB * 1024) };
        if (line.PositiveInt("--max-depth") is { } depth)
            limits = limits with { MaxDepth = depth };
        if (line.PositiveInt("--max-nodes") is { } nodes)
            limits = limits with { MaxNodes = nodes };
        if (line.PositiveInt("--max-alias-nodes") is { } aliasNodes)
            limits = limits with { MaxAliasNodes = aliasNodes };
        if (line.PositiveInt("--max-jobs") is { } jobs)
            limits = limits with { MaxJobs = jobs };
        if (limits != ParseLimits.Default)
        {
            // The same rules a host's settings go through; a bad value is a usage error, not a crash.
            var check = new LoomOptionsValidator().Validate(new LoomOptions { Limits = limits });
            if (!check.IsValid)
                throw new UsageException(string.Join("; ", check.Errors.Select(e => e.ErrorMessage)));
        }
        return limits;
    }
}
