using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Loom.Actors.Hosting;
using Loom.Actors.Protocol;
using Loom.Actors.Tests.Serialization;
using static Loom.Actors.Protocol.RunEvents;

namespace Loom.Actors.Tests.Actors;

/// <summary>A real actor system with Loom's guardian, and a fresh workspace folder per test.</summary>
public abstract class LoomActorTestBase : TestKit, IDisposable
{
    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    protected LoomActorTestBase()
        : base(ConfigurationFactory.ParseString("akka.test.single-expect-default = 30s").WithFallback(SerializationTests.Config))
    {
        Workspace = Directory.CreateTempSubdirectory("loom-actors-").FullName;
        Guardian = Sys.ActorOf(LoomGuardian.Props(new LoomOptions()), "loom");
    }

    protected string Workspace { get; }
    protected IActorRef Guardian { get; }

    protected string WorkflowPath => Path.Combine(Workspace, ".loom.yml");

    protected string WriteWorkflow(string yaml)
    {
        File.WriteAllText(WorkflowPath, yaml);
        return WorkflowPath;
    }

    protected TestProbe Submit(string runId, int maxParallel = 4, params string[] jobs)
    {
        var subscriber = CreateTestProbe();
        Guardian.Tell(new LoomProtocol.SubmitRun(runId, WorkflowPath, ".loom.yml", Workspace, jobs, maxParallel, subscriber.Ref));
        return subscriber;
    }

    /// <summary>Everything the subscriber receives until the run finishes.</summary>
    protected static List<IRunNotification> UntilFinished(TestProbe subscriber)
    {
        var seen = new List<IRunNotification>();
        while (true)
        {
            var next = subscriber.ExpectMsg<IRunNotification>(Patience);
            seen.Add(next);
            if (next is RunFinished or LoomProtocol.RunRejected)
                return seen;
        }
    }

    protected static async Task WaitForFileAsync(string path, bool allowEmpty = false)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!File.Exists(path) || (!allowEmpty && new FileInfo(path).Length == 0))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{path} never appeared");
            await Task.Delay(20);
        }
    }

    protected static bool ProcessExists(int pid)
    {
        var stat = $"/proc/{pid}/stat";
        if (!File.Exists(stat))
            return false;
        try
        {
            // A zombie has exited; only its parent's bookkeeping is left.
            var text = File.ReadAllText(stat);
            return text[(text.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    protected static async Task WaitUntilGoneAsync(int pid)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (ProcessExists(pid))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"process {pid} is still alive");
            await Task.Delay(20);
        }
    }

    void IDisposable.Dispose()
    {
        Shutdown();
        try
        {
            Directory.Delete(Workspace, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
