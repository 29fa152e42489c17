namespace Loom.Core.Parsing;

/// <summary>The keys one kind of mapping accepts; everything else is an error, except <c>x-</c> user extensions.</summary>
/// <param name="Supported">Read now.</param>
/// <param name="Ignored">Accepted and ignored for GitHub compatibility.</param>
/// <param name="Unsupported">GitHub keys Loom does not offer (containers, environments): a clear "not supported" error.</param>
/// <param name="AllowsExtensions">Whether <c>x-</c> keys are accepted (workflow, job and step mappings).</param>
internal sealed record KeySet(string[] Supported, string[] Ignored, string[] Unsupported, bool AllowsExtensions)
{
    public static readonly KeySet Workflow = new(
        ["name", "env", "defaults", "max-parallel", "jobs", "concurrency"],
        ["on", "permissions", "run-name"],
        [],
        AllowsExtensions: true);

    public static readonly KeySet Job = new(
        ["name", "runs-on", "needs", "if", "env", "defaults", "timeout-minutes", "continue-on-error", "steps",
            "outputs", "strategy", "retry", "inputs", "produces", "cache", "concurrency"],
        ["permissions"],
        ["services", "container", "environment"],
        AllowsExtensions: true);

    public static readonly KeySet Step = new(
        ["id", "name", "run", "shell", "working-directory", "env", "if", "timeout-minutes", "continue-on-error", "uses", "with"],
        [],
        [],
        AllowsExtensions: true);

    public static readonly KeySet Defaults = new(["run"], [], [], AllowsExtensions: false);

    public static readonly KeySet DefaultsRun = new(["shell", "working-directory"], [], [], AllowsExtensions: false);

    public IEnumerable<string> All => Supported.Concat(Ignored).Concat(Unsupported);
}
