using Akka.Actor;
using Loom.Actors.Execution;
using Loom.Actors.Protocol;
using Loom.Actors.Scheduling;
using Loom.Cli.Commands;
using Loom.Cli.Output;
using Loom.Core.Model;
using Loom.Core.Parsing;
using Loom.Core.Planning;

namespace Loom.Cli;

/// <summary>
/// Runs a small built-in workflow once through the parser, the scheduler's state and the plain output, and starts
/// one <c>true</c> the way a step is started, on a spare core while the actor system starts, so that the real run does
/// not also pay for loading and compiling that code: the parser was some 15 ms of every <c>loom run</c>, the first
/// step's start 13 ms (8 ms less in all, interleaved A/B), the state and the output a few ms more (2-10 ms in A/B
/// series, within their noise). Nothing of it is kept and nothing is written; the one process it starts is waited
/// for; it can only fail silently. With one core it costs little either: apart from that process, the work it does
/// first is work the real run would do.
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

    public static async Task RunAsync()
    {
        try
        {
            Rehearse();
            await RehearseStepAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Only ever a head start: the real run reports its own problems.
        }
    }

    /// <summary>Starts <c>true</c> the way a step is started (the fast path, a pipe, the wait for a quick end) and waits for it to end.</summary>
    internal static async Task<StepExit> RehearseStepAsync()
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal) { ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin" };
        var step = StepProcess.Start(new StepLaunch("true", null, Path.GetTempPath(), environment, null), static _ => { });
        await using (step.ConfigureAwait(false))
            return await step.Completion.ConfigureAwait(false);
    }

    /// <summary>The warm-up itself; the events of the sample's run, shown to no one (a test checks it reaches the end).</summary>
    internal static List<IRunEvent> Rehearse()
    {
        var workflow = WorkflowLoader.Load("warm-up.loom.yml", Sample).Workflow ?? throw new InvalidOperationException("the warm-up workflow does not load");
        JobGraph.FromWorkflow(workflow);
        var events = RunThrough(workflow);
        Show(events);
        return events;
    }

    /// <summary>What the scheduler's state decides for a run of the sample whose steps all succeed.</summary>
    private static List<IRunEvent> RunThrough(Workflow workflow)
    {
        var now = DateTimeOffset.UtcNow;
        var state = new RunState(RunPlan.Create("warm-up", workflow, [], 2));
        var events = state.Handle(new SchedulerProtocol.Start(ActorRefs.Nobody), now);
        foreach (var job in new[] { "a", "b" })
        {
            state.Expressions.SpecOf(state[job], state);
            events.AddRange(state.Handle(new SchedulerProtocol.StepStarted(job, 0, "step"), now));
            events.AddRange(state.Handle(new SchedulerProtocol.StepFinished(job, 0, Result.Success, Result.Success, 0, TimeSpan.Zero, null), now));
            events.AddRange(state.Handle(new SchedulerProtocol.JobFinished(job, Result.Success, false, null, TimeSpan.Zero), now));
        }
        return events;
    }

    private static void Show(List<IRunEvent> events)
    {
        var reporter = new PlainReporter(TextWriter.Null, new Style(colour: false));
        Result? result = null;
        foreach (var notification in events.OfType<IRunNotification>())
            RunCommand.Show(notification, reporter, ref result);
        reporter.Flush();
    }
}
