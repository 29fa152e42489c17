using Loom.Core.Watching;

namespace Loom.Core.Tests.Watching;

public sealed class ChangeBatcherTests
{
    private readonly FakeClock clock = new();
    private readonly ChangeBatcher batcher;

    public ChangeBatcherTests()
    {
        batcher = new ChangeBatcher(clock, TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void An_empty_batcher_is_never_due()
    {
        Assert.Null(batcher.DueIn);
        Assert.False(batcher.TryTake(out _));
    }

    [Fact]
    public void A_batch_is_ready_once_changes_are_quiet_for_the_window()
    {
        batcher.Add(FileChange.Of("a.cs"));
        clock.Advance(30);
        batcher.Add(FileChange.Of("b.cs"));
        clock.Advance(30);
        Assert.Equal(TimeSpan.FromMilliseconds(20), batcher.DueIn);
        Assert.False(batcher.TryTake(out _));

        clock.Advance(20);
        Assert.True(batcher.TryTake(out var batch));
        Assert.Equal(["a.cs", "b.cs"], batch.Paths);
        Assert.False(batch.EventsLost);
        Assert.True(batcher.IsEmpty);
    }

    [Fact]
    public void A_path_seen_many_times_is_in_the_batch_once_in_first_seen_order()
    {
        foreach (var path in new[] { "b", "a", "b", "a", "c" })
            batcher.Add(FileChange.Of(path));
        clock.Advance(50);
        Assert.True(batcher.TryTake(out var batch));
        Assert.Equal(["b", "a", "c"], batch.Paths);
    }

    [Fact]
    public void A_constant_stream_still_fires_at_the_maximum_wait()
    {
        for (var elapsed = 0; elapsed < 200; elapsed += 10)
        {
            batcher.Add(FileChange.Of("log.txt"));
            Assert.False(batcher.TryTake(out _));
            clock.Advance(10);
        }
        Assert.Equal(TimeSpan.Zero, batcher.DueIn);
        Assert.True(batcher.TryTake(out var batch));
        Assert.Equal(["log.txt"], batch.Paths);
    }

    [Fact]
    public void Lost_events_mark_the_batch()
    {
        batcher.Add(FileChange.EventsLost);
        batcher.Add(FileChange.Of("a"));
        clock.Advance(50);
        Assert.True(batcher.TryTake(out var batch));
        Assert.True(batch.EventsLost);
        Assert.Equal(["a"], batch.Paths);
    }

    [Fact]
    public void The_maximum_wait_cannot_be_shorter_than_the_quiet_window() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new ChangeBatcher(clock, TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(10)));
}
