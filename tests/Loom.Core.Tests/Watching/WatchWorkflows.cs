using Loom.Core.Model;
using Loom.Core.Parsing;

namespace Loom.Core.Tests.Watching;

internal static class WatchWorkflows
{
    public static Workflow Load(string yaml)
    {
        var result = WorkflowLoader.Load(".loom.yml", yaml);
        return result.Workflow ?? throw new InvalidOperationException(string.Join("\n", result.Errors));
    }
}

/// <summary>A clock the test moves by hand.</summary>
internal sealed class FakeClock : TimeProvider
{
    private long ticks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => ticks;

    public void Advance(TimeSpan by) => ticks += by.Ticks;

    public void Advance(int milliseconds) => Advance(TimeSpan.FromMilliseconds(milliseconds));
}
