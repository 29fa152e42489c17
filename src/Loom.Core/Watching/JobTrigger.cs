namespace Loom.Core.Watching;

/// <summary>Why watch mode runs a job again: what the user is told.</summary>
/// <param name="Path">The first changed path that triggered it (or the job it needs); null when events were lost.</param>
/// <param name="Need">Null when the path concerns this job itself, else the job it directly needs that runs again.</param>
public sealed record JobTrigger(string JobId, string? Path, string? Need)
{
    /// <summary>"build: src/a.cs changed", "test: src/a.cs changed (needs build)".</summary>
    public override string ToString()
    {
        var what = Path is null ? "file events were lost, anything may have changed" : $"{Path} changed";
        return Need is null ? $"{JobId}: {what}" : $"{JobId}: {what} (needs {Need})";
    }
}
