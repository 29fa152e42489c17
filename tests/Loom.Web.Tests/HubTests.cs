using Loom.Actors.Protocol;
using Loom.Actors.Scheduling;
using Loom.Core.Model;
using static Loom.Actors.Protocol.RunEvents;

namespace Loom.Web.Tests;

/// <summary>The in-process side of the view: what a follower of a run gets, and how annotations are kept in logs.</summary>
public sealed class HubTests
{
    private static readonly DateTimeOffset At = DateTimeOffset.UnixEpoch;

    [Fact]
    public async Task A_follower_gets_what_was_kept_then_what_comes_with_nothing_twice_and_no_output_lines()
    {
        var hub = new RunHub();
        hub.Publish(new RunStarted("r1", "w", ["a"], 1, At));
        hub.Publish(new JobStarted("a", 1, At));
        hub.Publish(new OutputLine("a", 0, "kept in the log file, not here", At));
        Assert.True(hub.TryFollow("r1", out var before, out var next));
        Assert.Equal([typeof(RunStarted), typeof(JobStarted)], before.Select(n => n.GetType()));

        hub.Publish(new JobFinished("a", Result.Success, false, null, TimeSpan.Zero, At));
        hub.Publish(new RunFinished(Result.Success, TimeSpan.Zero, At));
        var after = new List<IRunNotification>();
        await foreach (var n in next.ReadAllAsync())
            after.Add(n);
        Assert.Equal([typeof(JobFinished), typeof(RunFinished)], after.Select(n => n.GetType()));
        Assert.False(hub.IsGoingOn("r1"));
        Assert.Equal(Result.Success, hub.Runs().Single().Result);
    }

    [Fact]
    public void Watch_cycles_are_told_apart_by_their_start_and_old_finished_runs_are_forgotten()
    {
        var hub = new RunHub { Keep = 2 };
        for (var i = 1; i <= 4; i++)
        {
            hub.Publish(new WatchProtocol.CycleStarting($"c{i}", i, [], [], At));
            hub.Publish(new RunStarted($"c{i}", "w", ["a"], 1, At.AddSeconds(i)));
            hub.Publish(new RunFinished(Result.Success, TimeSpan.FromSeconds(i), At));
        }
        Assert.Equal(["c3", "c4"], hub.Runs().Select(r => r.RunId).Order());
        Assert.False(hub.Knows("c1"));
    }

    [Theory]
    [InlineData("error", "plain", null, null, null, null)]
    [InlineData("warning", "a: b, c %25 100%\nsecond line", "src/a,b.cs", 3, 7, "Title: with, commas")]
    public void An_annotation_line_reads_back_as_it_was_written(string level, string message, string? file, int? line, int? column, string? title)
    {
        var text = RunLogFiles.AnnotationLine(level, message, file, line, column, title);
        Assert.DoesNotContain('\n', text);
        Assert.True(RunLogFiles.TryReadAnnotation(text, out var read));
        Assert.Equal(new LoggedAnnotation(level, message, file, line, column, title), read);
        Assert.False(RunLogFiles.TryReadAnnotation("::step 1 build", out _));
        Assert.False(RunLogFiles.TryReadAnnotation("plain output", out _));
    }

    [Theory]
    [InlineData("20260101-120000-1a2b", true)]
    [InlineData("..", false)]
    [InlineData("a/b", false)]
    [InlineData("", false)]
    public void Run_ids_in_addresses_cannot_name_other_folders(string id, bool valid) => Assert.Equal(valid, LoomWebServer.IsRunId(id));
}
