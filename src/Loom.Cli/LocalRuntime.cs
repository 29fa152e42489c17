namespace Loom.Cli;

/// <summary>
/// How a local command's process runs. It generates no code at run time: libraries take the fallbacks they have for
/// runtimes without it (Akka's HOCON matches its durations with its regexes interpreted instead of compiled, Akka's
/// actor-message matchers and Microsoft.Extensions.DependencyInjection use their non-emitting paths), which spares
/// every <c>loom run</c> ~20 ms of compiling code it uses a few times; no job got measurably slower ("Dynamic code" in
/// docs/benchmarks.md). Commands that talk to a cluster keep it: <c>serve</c> runs Akka.Persistence.Sql (linq2db), whose
/// queries are built from compiled expressions.
/// </summary>
internal static class LocalRuntime
{
    private const string DynamicCodeSupported = "System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported";

    /// <summary>Call before any command runs: the runtime reads the switch once, at its first use.</summary>
    public static void Configure(string command, string[] arguments)
    {
        if (!TalksToACluster(command, arguments))
            AppContext.SetSwitch(DynamicCodeSupported, false);
    }

    /// <summary><c>serve</c>, <c>ctl</c> and anything with <c>--cluster</c>: Akka.Remote, Akka.Cluster and Akka.Persistence.Sql.</summary>
    public static bool TalksToACluster(string command, string[] arguments) =>
        command is "serve" or "ctl" || Commands.ClusterRunCommand.Wants(arguments);
}
