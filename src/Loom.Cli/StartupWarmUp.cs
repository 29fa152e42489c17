using Loom.Core.Parsing;
using Loom.Core.Planning;

namespace Loom.Cli;

/// <summary>
/// Loads a small built-in workflow once, on a spare core while the actor system starts, so that the
/// watcher's load of the real file does not also pay for loading and compiling the parser: that was
/// some 15 ms of every <c>loom run</c>. Nothing of it is kept, and it can only fail silently. With one
/// core it costs next to nothing either: the work it does first is work the real load would do.
/// </summary>
internal static class StartupWarmUp
{
    private const string Sample = """
        name: warm-up
        env: { A: "1" }
        jobs:
          a:
            steps:
              - run: echo a
          b:
            needs: [a]
            if: success()
            env: { B: "2" }
            steps:
              - name: step
                run: echo b
                timeout-minutes: 1
        """;

    public static void Run()
    {
        try
        {
            if (WorkflowLoader.Load("warm-up.loom.yml", Sample).Workflow is { } workflow)
                JobGraph.FromWorkflow(workflow);
        }
        catch (Exception)
        {
            // Only ever a head start: the real load reports its own problems.
        }
    }
}
