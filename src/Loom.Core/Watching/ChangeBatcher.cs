using System.Diagnostics.CodeAnalysis;

namespace Loom.Core.Watching;

/// <summary>
/// Debounces file changes into batches: a batch is ready once no change has arrived for <see cref="Quiet"/>, or
/// <see cref="MaxWait"/> after its first change so a constant stream still fires. Editors save in bursts (write a temp
/// file, rename, touch), which end up as one batch holding each path once. Not thread-safe and runs no timer: its
/// owner adds changes and asks again after <see cref="DueIn"/>.
/// </summary>
public sealed class ChangeBatcher
{
    public static readonly TimeSpan DefaultQuiet = TimeSpan.FromMilliseconds(50);
    public static readonly TimeSpan DefaultMaxWait = TimeSpan.FromMilliseconds(500);

    private readonly TimeProvider clock;
    private readonly List<string> paths = [];
    private readonly HashSet<string> seen = new(StringComparer.Ordinal);
    private bool eventsLost;
    private long firstAdded;
    private long lastAdded;

    public ChangeBatcher(TimeProvider clock, TimeSpan? quiet = null, TimeSpan? maxWait = null)
    {
        this.clock = clock;
        Quiet = quiet ?? DefaultQuiet;
        MaxWait = maxWait ?? DefaultMaxWait;
        ArgumentOutOfRangeException.ThrowIfLessThan(Quiet, TimeSpan.Zero, nameof(quiet));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxWait, Quiet, nameof(maxWait));
    }

    public TimeSpan Quiet { get; }

    public TimeSpan MaxWait { get; }

    public bool IsEmpty => paths.Count == 0 && !eventsLost;

    public void Add(FileChange change)
    {
        var now = clock.GetTimestamp();
        if (IsEmpty)
            firstAdded = now;
        lastAdded = now;
        if (change.RelativePath is { } path)
        {
            if (seen.Add(path))
                paths.Add(path);
        }
        else
        {
            eventsLost = true;
        }
    }

    /// <summary>How long until <see cref="TryTake"/> succeeds if nothing more arrives: zero when ready, null when empty.</summary>
    public TimeSpan? DueIn
    {
        get
        {
            if (IsEmpty)
                return null;
            var now = clock.GetTimestamp();
            var untilQuiet = Quiet - clock.GetElapsedTime(lastAdded, now);
            var untilCap = MaxWait - clock.GetElapsedTime(firstAdded, now);
            var due = untilQuiet < untilCap ? untilQuiet : untilCap;
            return due > TimeSpan.Zero ? due : TimeSpan.Zero;
        }
    }

    /// <summary>Takes the batch when it is ready, leaving the batcher empty.</summary>
    public bool TryTake([NotNullWhen(true)] out ChangeBatch? batch)
    {
        if (DueIn != TimeSpan.Zero)
        {
            batch = null;
            return false;
        }
        batch = new ChangeBatch(paths.ToArray(), eventsLost);
        paths.Clear();
        seen.Clear();
        eventsLost = false;
        return true;
    }
}
