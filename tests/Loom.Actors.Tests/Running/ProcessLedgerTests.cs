using Loom.Actors.Execution;
using Loom.Actors.Running;
using Loom.Actors.Tests.Execution;

namespace Loom.Actors.Tests.Running;

public sealed class ProcessLedgerTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("loom-ledger-").FullName;

    [Fact]
    public void What_is_recorded_from_many_threads_is_read_back_whole_and_a_reopened_ledger_appends()
    {
        var path = ProcessLedger.PathOf(folder, "run-1");
        using (var ledger = ProcessLedger.Open(path))
            Parallel.For(0, 200, i => ledger.Record($"cell {i % 7}\n(x)", i, new ProcessIdentity(1000 + i, 5_000 + i)));
        using (var ledger = ProcessLedger.Open(path))
            ledger.Record("build", 2, new ProcessIdentity(42, 7));

        var entries = ProcessLedger.Read(path);
        Assert.Equal(201, entries.Count);
        Assert.Equal(Enumerable.Range(0, 200), entries.Take(200).Select(e => e.Attempt).Order());
        Assert.All(entries.Take(200), e => Assert.Equal((e.UnitId, e.Process, e.LatestStartTicks),
            ($"cell {e.Attempt % 7}\n(x)", new ProcessIdentity(1000 + e.Attempt, 5_000 + e.Attempt), 5_000L + e.Attempt)));
        Assert.Equal(new ProcessLedger.Entry("build", 2, new ProcessIdentity(42, 7), 7), entries[^1]);
    }

    [Fact]
    public void A_line_torn_by_a_kill_is_ignored_and_a_missing_ledger_is_empty()
    {
        var path = ProcessLedger.PathOf(folder, "run-2");
        Assert.Empty(ProcessLedger.Read(path));
        using (var ledger = ProcessLedger.Open(path))
            ledger.Record("a", 1, new ProcessIdentity(10, 20));
        File.AppendAllText(path, "1 11 2");
        Assert.Equal([new ProcessLedger.Entry("a", 1, new ProcessIdentity(10, 20), 20)], ProcessLedger.Read(path));
    }

    [Fact]
    public void Lines_are_in_the_file_as_soon_as_recorded_and_closing_cuts_off_the_unused_room()
    {
        var path = ProcessLedger.PathOf(folder, "run-3");
        using (var ledger = ProcessLedger.Open(path))
        {
            for (var i = 0; i < 3_000; i++)
                ledger.Record($"job {i}", 1, new ProcessIdentity(i, i));

            // What a kill -9 would leave: every line, and the room grown ahead of them.
            Assert.Equal(3_000, ProcessLedger.Read(path).Count);
            Assert.True(new FileInfo(path).Length > File.ReadAllText(path).TrimEnd('\0').Length);
        }

        Assert.Equal(File.ReadAllText(path).TrimEnd('\0').Length, new FileInfo(path).Length);
        Assert.Equal(new ProcessLedger.Entry("job 2999", 1, new ProcessIdentity(2999, 2999), 2999), ProcessLedger.Read(path)[^1]);
    }

    [Fact]
    public void A_ledger_left_by_a_killed_loom_is_appended_to_after_its_last_whole_line()
    {
        var path = ProcessLedger.PathOf(folder, "run-4");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // Lines (of the format before the start record), a line torn by the kill, and the NULs of the room the dead loom
        // had mapped.
        File.WriteAllText(path, "1 10 20 a\n1 11 2" + new string('\0', 100));

        using (var ledger = ProcessLedger.Open(path))
            ledger.Record("b", 1, new ProcessIdentity(12, 30));

        Assert.Equal([new ProcessLedger.Entry("a", 1, new ProcessIdentity(10, 20), 20), new ProcessLedger.Entry("b", 1, new ProcessIdentity(12, 30), 30)],
            ProcessLedger.Read(path));
        Assert.Equal("1 10 20 a\n1 0000000000000000030 0000000012 0000000000000000030 b\n", File.ReadAllText(path));
    }

    [Fact]
    public void A_closed_ledger_refuses_to_record()
    {
        var ledger = ProcessLedger.Open(ProcessLedger.PathOf(folder, "run-5"));
        ledger.Record("a", 1, new ProcessIdentity(10, 20));
        ledger.Dispose();

        Assert.Throws<ObjectDisposedException>(() => ledger.Record("b", 1, new ProcessIdentity(11, 20)));
    }

    [Theory]
    [MemberData(nameof(SpawnerTests.Ways), MemberType = typeof(SpawnerTests))]
    public void The_helper_child_is_on_record_before_its_spawn_returns_and_otherwise_once_completed(bool viaHelper)
    {
        var path = ProcessLedger.PathOf(folder, "run-6");
        using var ledger = ProcessLedger.Open(path);
        var reservation = ledger.Reserve("build", 3);
        Assert.Empty(ProcessLedger.Read(path));

        var pid = StartSleep(viaHelper, reservation.StartRecord);
        try
        {
            var process = ProcessTree.IdentityOf(pid)!.Value;
            // What a loom killed right after the spawn leaves: the vforked child wrote its line itself.
            var left = ProcessLedger.Read(path);
            if (viaHelper)
                Assert.True(Assert.Single(left).Names(process));
            else
                Assert.Empty(left);

            reservation.Complete(process);

            var entry = Assert.Single(ProcessLedger.Read(path));
            Assert.Equal(("build", 3), (entry.UnitId, entry.Attempt));
            Assert.True(entry.Names(process));
            Assert.False(entry.Names(process with { StartTimeTicks = entry.LatestStartTicks + 1 }));
            Assert.False(entry.Names(process with { Pid = pid + 1 }));
        }
        finally
        {
            Kill(pid);
        }
    }

    [Theory]
    [MemberData(nameof(SpawnerTests.Ways), MemberType = typeof(SpawnerTests))]
    public void A_reservation_whose_exec_failed_names_no_process_and_serves_the_next_try(bool viaHelper)
    {
        var path = ProcessLedger.PathOf(folder, "run-7");
        using var ledger = ProcessLedger.Open(path);
        var reservation = ledger.Reserve("build", 1);
        // As when the fast path's program cannot start and the step's shell is tried with the same reservation.
        Assert.Equal(2, Spawn(viaHelper, Path.Combine(folder, "missing"), ["missing"], reservation.StartRecord, out _));
        Assert.Empty(ProcessLedger.Read(path));

        var pid = StartSleep(viaHelper, reservation.StartRecord);
        try
        {
            var process = ProcessTree.IdentityOf(pid)!.Value;
            reservation.Complete(process);
            Assert.True(Assert.Single(ProcessLedger.Read(path)).Names(process));
        }
        finally
        {
            Kill(pid);
        }
    }

    [Fact]
    public async Task A_read_that_may_settle_waits_for_a_spawn_under_way_and_not_for_one_that_failed()
    {
        var path = ProcessLedger.PathOf(folder, "run-9");
        using var ledger = ProcessLedger.Open(path);
        var failed = ledger.Reserve("lint", 1);
        failed.Complete(null);
        var spawning = ledger.Reserve("build", 1);

        // What a node's step watchdog does when the node died mid-spawn: the child is still to write its line.
        var reading = Task.Run(() => ProcessLedger.Read(path, TimeSpan.FromSeconds(60)));
        await Task.Delay(50);
        Assert.False(reading.IsCompleted);
        spawning.Complete(new ProcessIdentity(4321, 99));

        var entry = Assert.Single(await reading.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(("build", 4321), (entry.UnitId, entry.Process.Pid));
        Assert.Contains(" xxxxxxxxxx ", File.ReadAllText(path));
    }

    [Fact]
    public void Reservations_across_many_chunks_stay_writable_until_completed_and_no_line_spans_two()
    {
        var path = ProcessLedger.PathOf(folder, "run-8");
        var unit = new string('u', 200);
        using (var ledger = ProcessLedger.Open(path))
        {
            // ~270 bytes a line: ten chunks of 64 KiB, every one passed by while the first reservations are open.
            var reservations = Enumerable.Range(0, 2_400).Select(i => ledger.Reserve($"{unit} {i}", 1)).ToList();
            var now = ProcessTree.BootTicks();
            Parallel.For(0, reservations.Count, i => reservations[reservations.Count - 1 - i].Complete(new ProcessIdentity(100 + i, now)));
            ledger.Record("last", 1, new ProcessIdentity(7, now));
        }

        var entries = ProcessLedger.Read(path);
        Assert.Equal(2_401, entries.Count);
        Assert.Equal(Enumerable.Range(0, 2_400).Select(i => ($"{unit} {i}", 100 + 2_399 - i)), entries.Take(2_400).Select(e => (e.UnitId, e.Process.Pid)));
        Assert.Equal("last", entries[^1].UnitId);
        var text = File.ReadAllText(path);
        for (var chunk = 64 * 1024; chunk < text.Length; chunk += 64 * 1024)
            Assert.Equal('\n', text[chunk - 1]);
    }

    private int StartSleep(bool viaHelper, nint startRecord)
    {
        Assert.Equal(0, Spawn(viaHelper, "/bin/sleep", ["sleep", "300"], startRecord, out var pid));
        return pid;
    }

    private int Spawn(bool viaHelper, string program, string[] argv, nint startRecord, out int pid)
    {
        var devNull = Libc.open("/dev/null", Libc.O_WRONLY | Libc.O_CLOEXEC, 0);
        try
        {
            return Spawner.Spawn(program, argv, Steps.Environment(), folder, devNull, viaHelper, out pid, startRecord);
        }
        finally
        {
            Libc.close(devNull);
        }
    }

    private static void Kill(int pid)
    {
        Libc.kill(pid, Libc.SIGKILL);
        ChildExit.Reap(pid, -1);
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);
}
