namespace Loom.Actors.Protocol;

/// <summary>
/// The run-wide expression contexts of spec §4, filled by whoever submits the run: the <c>loom</c>
/// (alias <c>github</c>) values, <c>vars</c>, <c>inputs</c>, the event payload and the secrets.
/// Secrets travel with the run but are never part of an event.
/// </summary>
/// <param name="Loom">workspace, run_id, run_number, job is added per job; workflow, event_name, actor, repository, sha, ref, ref_name.</param>
/// <param name="EventJson">The <c>loom.event</c> payload: <c>{}</c> unless <c>--event-file</c>.</param>
public sealed record RunContexts(
    IReadOnlyDictionary<string, string> Loom,
    string EventJson,
    IReadOnlyDictionary<string, string> Vars,
    IReadOnlyDictionary<string, string> Inputs,
    IReadOnlyDictionary<string, string> Secrets)
{
    public static readonly RunContexts Empty = new(
        new Dictionary<string, string>(), "{}", new Dictionary<string, string>(), new Dictionary<string, string>(), new Dictionary<string, string>());

    /// <summary>The <c>loom</c> context as a run started here has it: this machine's user and the workspace's checkout.</summary>
    public static Dictionary<string, string> LoomOf(string runId, string workspace, string eventName)
    {
        var checkout = Core.Runtime.GitCheckout.Read(workspace);
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["repository"] = checkout.Repository,
            ["sha"] = checkout.Sha,
            ["ref"] = checkout.Ref,
            ["ref_name"] = checkout.RefName,
            ["workspace"] = workspace,
            ["run_id"] = runId,
            ["run_number"] = "1",
            ["event_name"] = eventName,
            ["actor"] = Environment.UserName,
        };
    }
}
