namespace Loom.Core.Expressions;

/// <summary>
/// An ordered list of <see cref="GlobPattern"/>s as <c>hashFiles</c>, <c>inputs</c> and <c>produces</c> read them:
/// a later pattern overrides an earlier one for the paths both match, so <c>'**/*.cs', '!obj/**'</c> leaves out <c>obj</c>.
/// </summary>
internal sealed class GlobList
{
    private readonly GlobPattern[] globs;

    private GlobList(GlobPattern[] globs)
    {
        this.globs = globs;
    }

    public bool IsEmpty => globs.Length == 0;

    /// <exception cref="FormatException">A pattern has an invalid character class such as <c>[z-a]</c>.</exception>
    public static GlobList Create(IEnumerable<string> patterns, string workspace) =>
        new(patterns.Select(p => GlobPattern.Create(p, workspace)).OfType<GlobPattern>().ToArray());

    /// <summary>Whether <paramref name="relativePath"/> ('/' separators) is selected.</summary>
    public bool Selects(string relativePath)
    {
        var selected = false;
        foreach (var glob in globs)
        {
            if (glob.IsExclusion == selected && glob.Matches(relativePath))
                selected = !glob.IsExclusion;
        }
        return selected;
    }
}
