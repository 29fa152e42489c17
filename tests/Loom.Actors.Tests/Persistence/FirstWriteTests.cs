using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.Journal;
using Akka.TestKit.Xunit2;
using Loom.Actors.Hosting;
using Loom.Actors.Protocol;
using Loom.Actors.Scheduling;
using Loom.Actors.Tests.Serialization;
using static Loom.Actors.Protocol.RunEvents;

namespace Loom.Actors.Tests.Persistence;

/// <summary>
/// A run's first runners wait for its first write: a <c>kill -9</c> before that write must not leave steps running
/// with no record of their run. The journal here holds every write until the test opens its gate.
/// </summary>
public sealed class FirstWriteTests() : TestKit(ConfigurationFactory.ParseString("""
    akka.persistence.journal.gated.class = "Loom.Actors.Tests.Persistence.FirstWriteTests+GatedJournal, Loom.Actors.Tests"
    akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
    """).WithFallback(SerializationTests.Config))
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task No_runner_starts_before_the_runs_first_events_are_written()
    {
        var workspace = Directory.CreateTempSubdirectory("loom-first-write-").FullName;
        try
        {
            var plan = RunPlan.Create("first-write", TestWorkflows.Of(new TestWorkflows.J("a")), [], 2);
            var persistence = new LoomPersistenceOptions { JournalPluginId = "akka.persistence.journal.gated", SnapshotPluginId = "akka.persistence.snapshot-store.inmem" };
            var scheduler = Sys.ActorOf(SchedulerActor.Props(plan, workspace, RunContexts.Empty, persistence, fresh: true), "run-first-write");
            var subscriber = CreateTestProbe();
            scheduler.Tell(new SchedulerProtocol.Start(subscriber.Ref));

            // The run's first events have reached the journal, which holds them: no runner may exist yet.
            await GatedJournal.Entered.Task.WaitAsync(Patience);
            var probe = CreateTestProbe();
            Sys.ActorSelection(scheduler.Path / "runner-a-1").Tell(new Identify("runner"), probe.Ref);
            Assert.Null(probe.ExpectMsg<ActorIdentity>(Patience).Subject);

            GatedJournal.Gate.SetResult();
            var finished = subscriber.FishForMessage<IRunNotification>(n => n is RunFinished, Patience);
            Assert.Equal(Core.Model.Result.Success, ((RunFinished)finished).Result);
        }
        finally
        {
            Directory.Delete(workspace, recursive: true);
        }
    }

    /// <summary>Akka's in-memory journal whose writes wait for <see cref="Gate"/>.</summary>
    public sealed class GatedJournal : MemoryJournal
    {
        public static readonly TaskCompletionSource Entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public static readonly TaskCompletionSource Gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override async Task<IImmutableList<Exception>> WriteMessagesAsync(IEnumerable<AtomicWrite> messages, CancellationToken cancellationToken)
        {
            var writes = messages.ToList();
            Entered.TrySetResult();
            await Gate.Task.ConfigureAwait(false);
            return await base.WriteMessagesAsync(writes, cancellationToken).ConfigureAwait(false);
        }
    }
}
