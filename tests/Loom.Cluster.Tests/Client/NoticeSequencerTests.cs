using System.Text;
using Loom.Actors.Protocol;
using Loom.Cluster.Client;
using Loom.Cluster.Protocol;

namespace Loom.Cluster.Tests.Client;

public sealed class NoticeSequencerTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    // The notification's "bytes" are its line, so the tests read what was handed on without an actor system.
    private static readonly NoticeSequencer.Opener Open = s => new RunEvents.OutputLine("j", 0, Encoding.UTF8.GetString(s.Bytes), At);

    private static ClusterProtocol.RunNotice Notice(long seq, string relay = "a") =>
        new("r1", relay, seq, new ClusterProtocol.Serialized(0, "", Encoding.UTF8.GetBytes(relay + seq)));

    private static string[] Lines(IEnumerable<IRunNotification> ready) => ready.Cast<RunEvents.OutputLine>().Select(l => l.Line).ToArray();

    [Fact]
    public void Notices_are_handed_on_once_and_in_order()
    {
        var sequencer = new NoticeSequencer(Open);
        Assert.Equal(["a1"], Lines(sequencer.Accept(Notice(1))));
        Assert.Empty(sequencer.Accept(Notice(1)));
        Assert.Equal(["a2"], Lines(sequencer.Accept(Notice(2))));
        Assert.False(sequencer.ShouldAskAgain());
        Assert.Equal(("a", 2L), (sequencer.Relay, sequencer.Last));
    }

    [Fact]
    public void After_a_gap_it_asks_once_and_holds_what_came_later_until_the_gap_is_filled()
    {
        var sequencer = new NoticeSequencer(Open);
        sequencer.Accept(Notice(1));
        Assert.Empty(sequencer.Accept(Notice(3)));
        Assert.True(sequencer.ShouldAskAgain());
        Assert.Empty(sequencer.Accept(Notice(4)));
        Assert.False(sequencer.ShouldAskAgain());
        // The answer to a follow while still stuck: ask again (the first ask may be lost too).
        Assert.True(sequencer.ShouldAskAgain(new ClusterProtocol.Following("r1", true, null, null) { Relay = "a", Sent = 4 }));

        Assert.Equal(["a2", "a3", "a4"], Lines(sequencer.Accept(Notice(2))));
        Assert.Empty(sequencer.Accept(Notice(3)));
        Assert.False(sequencer.ShouldAskAgain());
    }

    [Fact]
    public void A_relay_that_says_it_sent_more_than_arrived_is_asked_again()
    {
        var sequencer = new NoticeSequencer(Open);
        Assert.True(sequencer.ShouldAskAgain(new ClusterProtocol.Following("r1", true, null, null) { Relay = "a", Sent = 2 }));
        sequencer.Accept(Notice(1));
        sequencer.Accept(Notice(2));
        Assert.False(sequencer.ShouldAskAgain(new ClusterProtocol.Following("r1", true, null, null) { Relay = "a", Sent = 2 }));
        Assert.False(sequencer.ShouldAskAgain(new ClusterProtocol.Following("r1", true, null, null)));
    }

    [Fact]
    public void A_new_relay_starts_its_own_numbering_and_the_old_ones_late_notices_are_ignored()
    {
        var sequencer = new NoticeSequencer(Open);
        sequencer.Accept(Notice(1));
        sequencer.Accept(Notice(2));
        Assert.Equal(["b1"], Lines(sequencer.Accept(Notice(1, "b"))));
        Assert.Empty(sequencer.Accept(Notice(3, "a")));
        Assert.Equal(["b2"], Lines(sequencer.Accept(Notice(2, "b"))));
        Assert.False(sequencer.ShouldAskAgain(new ClusterProtocol.Following("r1", true, null, null) { Relay = "a", Sent = 9 }));
    }

    [Fact]
    public void What_the_relay_no_longer_keeps_is_skipped()
    {
        var sequencer = new NoticeSequencer(Open);
        Assert.Empty(sequencer.Accept(Notice(7)));
        Assert.Equal(["a7"], Lines(sequencer.Skip(new ClusterProtocol.NoticesDropped("r1", "a", 6))));
        Assert.Equal(7, sequencer.Last);
    }
}
