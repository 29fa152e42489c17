namespace Loom.Core.Runtime;

/// <summary>
/// The directories steps of a job appended to <c>$LOOM_PATH</c>, as GitHub's runner keeps them
/// (AddPathFileCommand, Handler.AddPrependPathToEnvironment): each non-empty line is a directory; the
/// latest comes first in <c>PATH</c>, so a later line or step wins; adding a directory again moves it to
/// the front instead of repeating it.
/// </summary>
public sealed class PathPrepends
{
    private static readonly string[] LineBreaks = ["\r\n", "\n", "\r"];

    private readonly List<string> oldestFirst = [];

    /// <summary>Newest first, the order they take in <c>PATH</c>.</summary>
    public IReadOnlyList<string> Directories => Enumerable.Reverse(oldestFirst).ToList();

    public void AddFileText(string text)
    {
        foreach (var directory in text.Split(LineBreaks, StringSplitOptions.RemoveEmptyEntries))
        {
            oldestFirst.Remove(directory);
            oldestFirst.Add(directory);
        }
    }

    /// <summary>The <c>PATH</c> for the next step: these directories, then the step's own <c>PATH</c>.</summary>
    public string Prepend(string? path)
    {
        var parts = Directories.ToList();
        if (!string.IsNullOrEmpty(path))
            parts.Add(path);
        return string.Join(Path.PathSeparator, parts);
    }
}
