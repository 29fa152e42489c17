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

    public void Dispose() => Directory.Delete(folder, recursive: true);
}
