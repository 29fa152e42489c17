using BenchmarkDotNet.Attributes;
using Loom.Actors.Protocol;
using Loom.Actors.Scheduling;
using Loom.Core.Model;
using Loom.Core.Parsing;

namespace Loom.Benchmarks;

/// <summary>
/// The scheduler's decisions for a whole run without actors or processes: every running job
/// finishes in turn. What is left per job is Loom's own scheduling cost.
/// </summary>
[MemoryDiagnoser]
public class SchedulingBenchmarks
{
    private Workflow workflow = null!;

    [Params(1_000, 10_000)]
    public int Jobs { get; set; }

    [GlobalSetup]
    public void Setup() =>
        workflow = WorkflowLoader.Load("bench.yml", WorkflowFiles.Random(Jobs)).Workflow ?? throw new InvalidOperationException("generated workflow is invalid");

    [Benchmark]
    public int WholeRun()
    {
        var now = DateTimeOffset.UnixEpoch;
        var state = new RunState(RunPlan.Create("bench", workflow, [], maxParallel: 2));
        var events = 0;
        var running = new Queue<string>();
        Send(new SchedulerProtocol.Start(Akka.Actor.ActorRefs.Nobody));
        while (running.TryDequeue(out var job))
            Send(new SchedulerProtocol.JobFinished(job, Result.Success, false, null, TimeSpan.Zero));
        return state.Finished ? events : throw new InvalidOperationException("run did not finish");

        void Send(ILoomMessage command)
        {
            foreach (var e in state.Process(command, now))
            {
                state.Apply(e);
                events++;
                if (e is RunEvents.JobStarted started)
                    running.Enqueue(started.JobId);
            }
        }
    }
}
