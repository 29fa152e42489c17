using Akka.Actor;
using System.Collections.Concurrent;
using Loom.Actors.Hosting;
using Loom.Actors.Protocol;
using Loom.Actors.Scheduling;
using Loom.Core.Model;
using static Loom.Actors.Protocol.RunEvents;

namespace Loom.Actors.Tests.Actors;

/// <summary>A host's <see cref="IStepLogSink"/> (<see cref="LoomStepLogOptions.SinkFactory"/>) gets what the files would.</summary>
public sealed class StepLogSinkTests : LoomActorTestBase
{
    private sealed class MemorySink : IStepLogSink
    {
        public readonly ConcurrentQueue<string> Calls = new();
        public readonly TaskCompletionSource Stored = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Flushes;

        public bool Started { get; private set; }

        public void Write(string unitId, int attempt, int step, string? title, string line)
        {
            Started = true;
            Calls.Enqueue($"{unitId}.{attempt} {step} {title}: {line}");
        }

        public void Flush() => Interlocked.Increment(ref Flushes);

        public void Close(string unitId) => Calls.Enqueue($"close {unitId}");

        public Task CloseAllAsync()
        {
            Calls.Enqueue("close all");
            return Stored.Task;
        }
    }

    [Fact]
    public void A_run_hands_every_line_to_the_sink_and_its_end_waits_for_the_sink_to_store_them()
    {
        var sinks = new ConcurrentDictionary<string, MemorySink>();
        var options = new LoomOptions
        {
            StepLogs = new LoomStepLogOptions { SinkFactory = (runId, _) => sinks.GetOrAdd(runId, _ => new MemorySink()) },
        };
        Assert.True(new LoomOptionsValidator().Validate(options).IsValid);
        var guardian = Sys.ActorOf(LoomGuardian.Props(options), "loom-with-sink");
        WriteWorkflow("""
            jobs:
              build:
                steps:
                  - name: count
                    run: seq 1 3000
                  - run: sleep 0.6; echo slept
              test:
                needs: build
                steps:
                  - run: echo tested
            """);
        var subscriber = CreateTestProbe();
        guardian.Tell(new LoomProtocol.SubmitRun("sink", WorkflowPath, ".loom.yml", Workspace, [], 4, subscriber.Ref));

        // Every event up to the last job's end; then the run waits for the sink.
        var seen = new List<object>();
        while (seen.LastOrDefault() is not JobFinished { JobId: "test" })
            seen.Add(subscriber.ExpectMsg<object>(Patience));
        var sink = sinks["sink"];
        AwaitCondition(() => sink.Calls.Contains("close all"), Patience);
        subscriber.ExpectNoMsg(TimeSpan.FromMilliseconds(300));

        sink.Stored.SetResult();
        var finished = subscriber.FishForMessage(m => m is RunFinished, Patience);
        Assert.Equal(Result.Success, ((RunFinished)finished).Result);

        // Up to the first CloseAll: the scheduler's stop closes the sink again, which may come later.
        var calls = sink.Calls.ToList();
        calls = calls[..(calls.IndexOf("close all") + 1)];
        Assert.Equal(3005, calls.Count);
        Assert.Equal(Enumerable.Range(1, 3000).Select(i => $"build.1 0 count: {i}"), calls[..3000]);
        Assert.Matches(@"^build\.1 1 .+: slept$", calls[3000]);
        Assert.Equal("close build", calls[3001]);
        Assert.Matches(@"^test\.1 0 .+: tested$", calls[3002]);
        Assert.Equal(["close test", "close all"], calls[3003..]);
        Assert.True(sink.Flushes >= 1, "the 500 ms timer flushes the sink while the run prints");
        Assert.Single(sinks);
    }

    [Fact]
    public void A_sink_factory_and_a_runs_folder_are_not_both_set()
    {
        var both = new LoomStepLogOptions { RunsFolder = "/tmp/runs", SinkFactory = (_, _) => throw new InvalidOperationException() };
        var errors = new LoomStepLogOptionsValidator().Validate(both).Errors;
        Assert.Contains(errors, e => e.ErrorMessage.Contains("Sink Factory", StringComparison.Ordinal));
        Assert.True(new LoomStepLogOptionsValidator().Validate(both with { RunsFolder = null }).IsValid);
    }
}
