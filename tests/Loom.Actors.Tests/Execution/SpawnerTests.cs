using System.IO.Pipes;
using Loom.Actors.Execution;

namespace Loom.Actors.Tests.Execution;

/// <summary>
/// The two ways a step's program starts (loom_spawn.c's vfork helper, and glibc's posix_spawn where the helper was not
/// built) must give it the same start; every other test of steps runs through the helper where this build has it.
/// </summary>
public sealed class SpawnerTests
{
    // What the program sees of its own start: session and group, signals, terminal, stdin, descriptors, directory,
    // arguments and environment. The signals are grep's, which it inherits from the shell: the shell's own mask is all
    // blocked for a moment around each fork, which a grep of /proc/$$ may catch.
    private const string Probe = """
        read -r pid comm state ppid group session rest < /proc/$$/stat
        echo "session leader: $((session == $$)), group leader: $((group == $$))"
        grep -E '^Sig(Blk|Ign)' /proc/self/status
        tty || true
        readlink /proc/$$/fd/0; cat; echo x >&0 2>/dev/null || echo stdin read-only
        cd /proc/$$/fd && echo descriptors: *
        cd - >/dev/null; pwd
        echo "$0 $1 $PROBE"
        """;

    public static TheoryData<bool> Ways => SpawnHelper.Available ? new() { true, false } : new() { false };

    [Fact]
    public void The_helper_is_there_wherever_a_C_compiler_is()
    {
        // The build compiles it with clang or gcc: had it not, every other test here would run through posix_spawn alone.
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        var compiler = ExecutableLookup.Find("clang", path, "/") ?? ExecutableLookup.Find("gcc", path, "/");

        Assert.Equal(compiler is not null, SpawnHelper.Available);
    }

    [Theory]
    [MemberData(nameof(Ways))]
    public void A_program_starts_in_a_session_of_its_own_with_default_signals_and_nothing_else_of_Looms(bool viaHelper)
    {
        using var directory = new Steps.TempDirectory();
        using var own = File.Create(Path.Combine(directory.Path, "loom-own"));

        var (error, output) = Run(viaHelper, "/bin/sh", ["sh", "-c", Probe, "zero", "one"], directory.Path, ("PROBE", "value"));

        Assert.Equal(0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(
            ["session leader: 1, group leader: 1", "SigBlk:\t0000000000000000", "SigIgn:\t0000000000000000", "not a tty", "/dev/null",
             "stdin read-only"],
            lines[..6]);
        // What the test host inherited from its own parent may be there too, as under make; Loom's own never.
        var descriptors = lines[6]["descriptors: ".Length..].Split(' ');
        Assert.Subset(descriptors.ToHashSet(), new HashSet<string> { "0", "1", "2" });
        Assert.DoesNotContain(own.SafeFileHandle.DangerousGetHandle().ToString(), descriptors);
        Assert.DoesNotContain(Spawner.DevNullFd.ToString(), descriptors);
        Assert.Equal([FileSystemPaths.RealPath(directory.Path), "zero one value"], lines[7..]);
    }

    [Theory]
    [MemberData(nameof(Ways))]
    public void A_signal_Loom_came_to_ignore_after_it_started_is_at_its_default_in_the_program(bool viaHelper)
    {
        // A real-time signal nothing else here uses; ignored dispositions, unlike handlers, survive an exec.
        const int signal = 50;
        const nint ignore = 1;
        Libc.signal(signal, ignore);
        try
        {
            if (viaHelper)
                SpawnHelper.RefreshSignalsInUse();

            var (error, output) = Run(viaHelper, "/bin/sh", ["sh", "-c", "grep -E '^SigIgn' /proc/self/status"], "/");

            Assert.Equal(0, error);
            Assert.Equal("SigIgn:\t0000000000000000\n", output);
        }
        finally
        {
            Libc.signal(signal, 0);
        }
    }

    [Theory]
    [MemberData(nameof(Ways))]
    public void What_keeps_a_program_from_starting_comes_back_as_its_errno(bool viaHelper)
    {
        using var directory = new Steps.TempDirectory();
        var notExecutable = Path.Combine(directory.Path, "data.txt");
        File.WriteAllText(notExecutable, "not a program");

        Assert.Equal(2, Run(viaHelper, Path.Combine(directory.Path, "missing"), ["missing"], directory.Path).Error);
        Assert.Equal(Libc.EACCES, Run(viaHelper, notExecutable, ["data.txt"], directory.Path).Error);
        Assert.Equal(2, Run(viaHelper, "/bin/sh", ["sh", "-c", "true"], Path.Combine(directory.Path, "gone")).Error);
    }

    /// <summary>Starts the program with its output on a pipe, reads the pipe to its end and reaps the program.</summary>
    private static (int Error, string Output) Run(bool viaHelper, string program, string[] argv, string directory, params (string Key, string Value)[] extra)
    {
        // .NET makes both ends close-on-exec, as Loom's own pipes are.
        using var pipe = new AnonymousPipeServerStream(PipeDirection.In, HandleInheritability.None);
        var error = Spawner.Spawn(program, argv, Steps.Environment(extra), directory, (int)pipe.ClientSafePipeHandle.DangerousGetHandle(), viaHelper,
            out var pid);
        pipe.DisposeLocalCopyOfClientHandle();
        var output = new StreamReader(pipe).ReadToEnd();
        if (error == 0)
        {
            // The pipe ends as the program closes its files, a moment before it has exited.
            Assert.True(SpinWait.SpinUntil(() => ChildExit.HasExited(pid), Steps.Patience));
            Assert.Equal(0, ChildExit.Reap(pid, -1));
        }
        return (error, output);
    }
}
