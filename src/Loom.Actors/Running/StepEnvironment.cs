using System.Collections;
using Loom.Actors.Protocol;
using Loom.Core.Runtime;

namespace Loom.Actors.Running;

/// <summary>The environment of a step, layered as spec §3 says (later wins).</summary>
public static class StepEnvironment
{
    private static readonly IReadOnlyDictionary<string, string> ProcessEnvironment = ReadProcessEnvironment();

    /// <param name="jobEnv">Workflow and job env, evaluated.</param>
    /// <param name="appendedEnv">What earlier steps appended to <c>$LOOM_ENV</c>.</param>
    /// <param name="stepEnv">The step's env, evaluated.</param>
    /// <param name="pathPrepends">Directories earlier steps appended to <c>$LOOM_PATH</c>.</param>
    public static Dictionary<string, string> Compose(
        string runId,
        string workspace,
        JobSpec job,
        IReadOnlyDictionary<string, string> jobEnv,
        IReadOnlyDictionary<string, string> appendedEnv,
        IReadOnlyDictionary<string, string> stepEnv,
        PathPrepends pathPrepends,
        JobFiles files)
    {
        var env = new Dictionary<string, string>(ProcessEnvironment, StringComparer.Ordinal) { ["CI"] = "true" };
        Overlay(env, jobEnv);
        Overlay(env, appendedEnv);
        Overlay(env, stepEnv);
        if (pathPrepends.Directories.Count > 0)
            env["PATH"] = pathPrepends.Prepend(env.GetValueOrDefault("PATH"));
        env["LOOM"] = "true";
        env["LOOM_WORKSPACE"] = env["GITHUB_WORKSPACE"] = workspace;
        env["LOOM_RUN_ID"] = runId;
        env["LOOM_JOB"] = job.JobId;
        env["LOOM_OUTPUT"] = env["GITHUB_OUTPUT"] = files.Output;
        env["LOOM_ENV"] = env["GITHUB_ENV"] = files.Env;
        env["LOOM_PATH"] = env["GITHUB_PATH"] = files.Path;
        env["LOOM_STEP_SUMMARY"] = env["GITHUB_STEP_SUMMARY"] = files.StepSummary;
        return env;
    }

    private static void Overlay(Dictionary<string, string> env, IReadOnlyDictionary<string, string> layer)
    {
        foreach (var (key, value) in layer)
            env[key] = value;
    }

    /// <summary>Settings of a <c>loom serve</c> node in .NET's environment form (<c>Loom__Node__Capacity</c>).</summary>
    public const string NodeSettingsPrefix = "Loom__";

    private static Dictionary<string, string> ReadProcessEnvironment()
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            // Secrets reach a step only where it maps them (env: { T: ${{ secrets.T }} }), as in GitHub; a node's own
            // settings (Loom__Node__Db holds the database's password) never do.
            var name = (string)entry.Key;
            if (!name.StartsWith(SecretEnvironment.Prefix, StringComparison.Ordinal) && !name.StartsWith(NodeSettingsPrefix, StringComparison.OrdinalIgnoreCase))
                env[name] = (string?)entry.Value ?? "";
        }
        return env;
    }
}
