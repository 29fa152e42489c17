// The design floor of a local run (docs/benchmarks.md): reads the graph.json that ../shared/bench/gen.py writes,
// then a scheduler actor starts each job once its needs are done, at most P at a time, each in a new runner actor
// that starts the job's command as a process (posix_spawnp, no shell) and waits for it. Nothing else: no parsing
// of YAML, no journal, no output, no environment, no job files. Usage: DesignFloor GRAPH.json P
using System.Runtime.InteropServices;
using System.Text.Json;
using Akka.Actor;

var graph = JsonDocument.Parse(File.ReadAllBytes(args[0])).RootElement;
var parallel = int.Parse(args[1]);
var needs = new Dictionary<string, string[]>();
foreach (var job in graph.GetProperty("needs").EnumerateObject())
    needs[job.Name] = job.Value.EnumerateArray().Select(n => n.GetString()!).ToArray();
var command = graph.GetProperty("cmd").GetString()!.Split(' ');

var system = ActorSystem.Create("floor", "akka.stdout-loglevel = WARNING");
var done = new TaskCompletionSource<int>();
system.ActorOf(Props.Create(() => new Scheduler(needs, parallel, command, done)), "scheduler");
var failed = await done.Task;
await system.Terminate();
return failed == 0 ? 0 : 1;

sealed record Run(string Job, string[] Command);
sealed record Finished(string Job, int ExitCode);

sealed class Scheduler : ReceiveActor
{
    private readonly Dictionary<string, int> waitingFor = new();
    private readonly Dictionary<string, List<string>> dependents = new();
    private readonly Queue<string> ready = new();
    private readonly int parallel;
    private readonly string[] command;
    private readonly TaskCompletionSource<int> done;
    private int running, left, failed;

    public Scheduler(Dictionary<string, string[]> needs, int parallel, string[] command, TaskCompletionSource<int> done)
    {
        this.parallel = parallel;
        this.command = command;
        this.done = done;
        left = needs.Count;
        foreach (var (job, its) in needs)
        {
            waitingFor[job] = its.Length;
            foreach (var need in its)
            {
                if (!dependents.TryGetValue(need, out var list))
                    dependents[need] = list = [];
                list.Add(job);
            }
            if (its.Length == 0)
                ready.Enqueue(job);
        }
        Receive<Finished>(OnFinished);
        Dispatch();
    }

    private void OnFinished(Finished finished)
    {
        running--;
        left--;
        if (finished.ExitCode != 0)
            failed++;
        foreach (var dependent in dependents.GetValueOrDefault(finished.Job) ?? [])
            if (--waitingFor[dependent] == 0)
                ready.Enqueue(dependent);
        if (left == 0)
            done.TrySetResult(failed);
        else
            Dispatch();
    }

    private void Dispatch()
    {
        while (running < parallel && ready.TryDequeue(out var job))
        {
            running++;
            Context.ActorOf(Props.Create<Runner>(), "runner-" + job).Tell(new Run(job, command));
        }
    }
}

sealed class Runner : ReceiveActor
{
    public Runner() => Receive<Run>(run =>
    {
        Sender.Tell(new Finished(run.Job, Spawn.RunToEnd(run.Command)));
        Context.Stop(Self);
    });
}

static class Spawn
{
    [DllImport("libc", SetLastError = true)]
    private static extern int posix_spawnp(out int pid, string file, IntPtr fileActions, IntPtr attributes, IntPtr[] argv, IntPtr envp);

    [DllImport("libc", SetLastError = true)]
    private static extern int waitpid(int pid, out int status, int options);

    private static readonly IntPtr Environment = Marshal.ReadIntPtr(NativeLibrary.GetExport(NativeLibrary.Load("libc.so.6"), "environ"));

    /// <summary>Starts the command and blocks until it exits (the runner's thread waits, as a minimal runner would).</summary>
    public static int RunToEnd(string[] command)
    {
        var argv = new IntPtr[command.Length + 1];
        for (var i = 0; i < command.Length; i++)
            argv[i] = Marshal.StringToHGlobalAnsi(command[i]);
        try
        {
            if (posix_spawnp(out var pid, command[0], IntPtr.Zero, IntPtr.Zero, argv, Environment) != 0)
                return 127;
            int status;
            while (waitpid(pid, out status, 0) < 0)
            {
                // EINTR: wait again.
            }
            return (status >> 8) & 0xff;
        }
        finally
        {
            foreach (var arg in argv)
                if (arg != IntPtr.Zero)
                    Marshal.FreeHGlobal(arg);
        }
    }
}
