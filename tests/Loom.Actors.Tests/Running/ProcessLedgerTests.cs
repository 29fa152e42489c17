using Loom.Actors.Execution;
using Loom.Actors.Running;

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
        Assert.All(entries.Take(200), e => Assert.Equal((e.UnitId, e.Process), ($"cell {e.Attempt % 7}\n(x)", new ProcessIdentity(1000 + e.Attempt, 5_000 + e.Attempt))));
        Assert.Equal(new ProcessLedger.Entry("build", 2, new ProcessIdentity(42, 7)), entries[^1]);
    }

    [Fact]
    public void A_line_torn_by_a_kill_is_ignored_and_a_missing_ledger_is_empty()
    {
        var path = ProcessLedger.PathOf(folder, "run-2");
        Assert.Empty(ProcessLedger.Read(path));
        using (var ledger = ProcessLedger.Open(path))
            ledger.Record("a", 1, new ProcessIdentity(10, 20));
        File.AppendAllText(path, "1 11 2");
        Assert.Equal([new ProcessLedger.Entry("a", 1, new ProcessIdentity(10, 20))], ProcessLedger.Read(path));
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
        Assert.Equal(new ProcessLedger.Entry("job 2999", 1, new ProcessIdentity(2999, 2999)), ProcessLedger.Read(path)[^1]);
    }

    [Fact]
    public void A_ledger_left_by_a_killed_loom_is_appended_to_after_its_last_whole_line()
    {
        var path = ProcessLedger.PathOf(folder, "run-4");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // Lines, a line torn by the kill, and the NULs of the room the dead loom had mapped.
        File.WriteAllText(path, "1 10 20 a\n1 11 2" + new string('\0', 100));

        using (var ledger = ProcessLedger.Open(path))
            ledger.Record("b", 1, new ProcessIdentity(12, 30));

        Assert.Equal([new ProcessLedger.Entry("a", 1, new ProcessIdentity(10, 20)), new ProcessLedger.Entry("b", 1, new ProcessIdentity(12, 30))],
            ProcessLedger.Read(path));
        Assert.Equal("1 10 20 a\n1 12 30 b\n", File.ReadAllText(path));
    }

    [Fact]
    public void A_closed_ledger_refuses_to_record()
    {
        var ledger = ProcessLedger.Open(ProcessLedger.PathOf(folder, "run-5"));
        ledger.Record("a", 1, new ProcessIdentity(10, 20));
        ledger.Dispose();

        Assert.Throws<ObjectDisposedException>(() => ledger.Record("b", 1, new ProcessIdentity(11, 20)));
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);
}
