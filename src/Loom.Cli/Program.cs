using Loom.Cli.Commands;

namespace Loom.Cli;

public static class Program
{
    /// <summary>The version of Directory.Build.props (its informational form: a pre-release suffix shows, no commit hash).</summary>
    public static string Version =>
        typeof(Program).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            is [System.Reflection.AssemblyInformationalVersionAttribute { InformationalVersion: { } version }]
            ? version.Split('+')[0]
            : typeof(Program).Assembly.GetName().Version?.ToString(3) ?? "unknown";

    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.Out.Write(HelpText.Main);
            return args.Length == 0 ? ExitCodes.Usage : ExitCodes.Success;
        }
        if (args[0] is "--version" or "-V")
        {
            Console.Out.WriteLine($"loom {Version}");
            return ExitCodes.Success;
        }
        var rest = args.AsSpan(1).ToArray();
        if (NativeLauncher.IsNative && NativeLauncher.NeedsJit(args[0], rest))
            return NativeLauncher.HandOver(args);
        LocalRuntime.Configure(args[0], rest);
        if ((rest.Contains("--help") || rest.Contains("-h")) && HelpText.ForCommand(args[0]) is { } help)
        {
            Console.Out.Write(help);
            return ExitCodes.Success;
        }
        try
        {
            return args[0] switch
            {
                "runs" or "show" or "why" or "logs" or "cancel" or "retry" when ClusterRunCommand.Wants(rest) =>
                    await Commands.Ctl.CtlCommand.ExecuteAsync(Commands.Ctl.CtlCommand.FromClusterOption(args[0], rest)),
                "run" => await RunCommand.ExecuteAsync(rest),
                "validate" => ValidateCommand.Execute(rest),
                "list" => ListCommand.Execute(rest),
                "graph" => GraphCommand.Execute(rest),
                "why" => await WhyCommand.ExecuteAsync(rest),
                "runs" => await HistoryCommands.RunsAsync(rest),
                "show" => await HistoryCommands.ShowAsync(rest),
                "retry" => await RunCommand.RetryAsync(rest),
                "cache" => CacheCommand.Execute(rest),
                "logs" => await LogsCommand.ExecuteAsync(rest),
                "cancel" => await RunControlCommands.CancelAsync(rest),
                "prune" => await RunControlCommands.PruneAsync(rest),
                "watch" => await WatchCommand.ExecuteAsync(rest),
                "serve" => await ServeCommand.ExecuteAsync(rest),
                ServeCommand.StepWatchdogCommand => ServeCommand.StepWatchdog(rest),
                "ctl" => await Commands.Ctl.CtlCommand.ExecuteAsync(rest),
                "completion" => CompletionCommand.Execute(rest),
                _ => throw new UsageException($"unknown command '{args[0]}' (see 'loom --help')"),
            };
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"loom: error: {e.Message}");
            return ExitCodes.Usage;
        }
    }
}

/// <summary>Spec §5.</summary>
public static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int Usage = 2;
    public const int Interrupted = 130;
    public const int Terminated = 143;
}
