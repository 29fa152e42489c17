using System.Threading.Channels;
using Akka.Actor;
using Loom.Actors.Protocol;
using Loom.Core.Model;
using Loom.Core.Parsing;
using static Loom.Actors.Protocol.RunEvents;

namespace Loom.Cli.Tests;

/// <summary>The embedded actor system in this process (the other tests run the built loom).</summary>
public sealed class EmbeddedLoomTests
{
    [Fact]
    public async Task The_subscriber_hands_over_notifications_in_batches_in_order_and_ends_with_the_run()
    {
        using var ws = new Workspace("jobs: {}");
        await using var loom = await EmbeddedLoom.StartAsync(ws.Root, ParseLimits.Default);
        var (subscriber, notifications) = loom.Subscribe();
        const int lines = 2000;
        for (var i = 0; i < lines; i++)
            subscriber.Tell(new OutputLine("a", 0, $"line {i}", DateTimeOffset.UtcNow));
        subscriber.Tell(new RunFinished(Result.Success, TimeSpan.Zero, DateTimeOffset.UtcNow));

        var (batches, seen) = await ReadAllAsync(notifications);
        Assert.Equal(lines + 1, seen.Count);
        Assert.Equal(Enumerable.Range(0, lines).Select(i => $"line {i}"), seen.OfType<OutputLine>().Select(o => o.Line));
        Assert.IsType<RunFinished>(seen[^1]);
        Assert.True(batches < seen.Count, $"{batches} hand-offs for {seen.Count} notifications");
    }

    [Fact]
    public async Task A_rejection_is_handed_over_at_once_and_ends_the_notifications()
    {
        using var ws = new Workspace("jobs: {}");
        await using var loom = await EmbeddedLoom.StartAsync(ws.Root, ParseLimits.Default);
        var (subscriber, notifications) = loom.Subscribe();
        subscriber.Tell(new LoomProtocol.RunRejected("r1", ["bad"]));
        var (_, seen) = await ReadAllAsync(notifications);
        Assert.IsType<LoomProtocol.RunRejected>(Assert.Single(seen));
    }

    [Fact]
    public async Task If_the_actor_system_terminates_by_itself_the_notifications_end_instead_of_waiting_forever()
    {
        using var ws = new Workspace("jobs: {}");
        await using var loom = await EmbeddedLoom.StartAsync(ws.Root, ParseLimits.Default);
        var (_, notifications) = loom.Subscribe();
        await loom.System.Terminate();
        var (_, seen) = await ReadAllAsync(notifications);
        Assert.Empty(seen);
    }

    [Fact]
    public async Task The_workspace_log_starts_with_a_line_that_names_the_process_and_the_workspace()
    {
        using var ws = new Workspace("jobs: {}");
        await (await EmbeddedLoom.StartAsync(ws.Root, ParseLimits.Default)).DisposeAsync();
        var lines = await File.ReadAllLinesAsync(Path.Combine(ws.Root, ".loom", "logs", "loom.log"));
        Assert.Contains($"loom {Program.Version} (pid {Environment.ProcessId}) in {ws.Root}", lines[0]);
    }

    private static async Task<(int Batches, List<IRunNotification> Seen)> ReadAllAsync(ChannelReader<IReadOnlyList<IRunNotification>> reader)
    {
        using var timeout = new CancellationTokenSource(LoomProcess.Patience);
        var seen = new List<IRunNotification>();
        var batches = 0;
        await foreach (var batch in reader.ReadAllAsync(timeout.Token))
        {
            batches++;
            seen.AddRange(batch);
        }
        return (batches, seen);
    }
}
