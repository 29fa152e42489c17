namespace Loom.Core.Watching;

/// <summary>What a <see cref="FileChangeSource"/> reports: one path that changed, or that events were lost.</summary>
/// <param name="RelativePath">Relative to the workspace, '/' separators; null when events were lost.</param>
public readonly record struct FileChange(string? RelativePath)
{
    /// <summary>The system dropped events (a full buffer): anything may have changed.</summary>
    public static readonly FileChange EventsLost = new(null);

    public bool IsEventsLost => RelativePath is null;

    public static FileChange Of(string relativePath) => new(relativePath ?? throw new ArgumentNullException(nameof(relativePath)));
}

/// <summary>Changes that settled together: each path once, in the order first seen.</summary>
/// <param name="EventsLost">Some events were lost: treat every watched file as changed.</param>
public sealed record ChangeBatch(IReadOnlyList<string> Paths, bool EventsLost);
