using System.Collections;
using Loom.Actors.Protocol;

namespace Loom.Actors.Running;

/// <summary>The environment of a step, layered as spec §3 says (later wins).</summary>
public static class StepEnvironment
{
    private static readonly IReadOnlyDictionary<string, string> ProcessEnvironment = ReadProcessEnvironment();

    public static Dictionary<string, string> Compose(string runId, string workspace, JobSpec job, StepSpec step, JobFiles files)
    {
        var env = new Dictionary<string, string>(ProcessEnvironment, StringComparer.Ordinal) { ["CI"] = "true" };
        Overlay(env, job.WorkflowEnv);
        Overlay(env, job.JobEnv);
        Overlay(env, step.Env);
        env["LOOM"] = "true";
        env["LOOM_WORKSPACE"] = env["GITHUB_WORKSPACE"] = workspace;
        env["LOOM_RUN_ID"] = runId;
        env["LOOM_JOB"] = job.Id;
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

    private static Dictionary<string, string> ReadProcessEnvironment()
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
            env[(string)entry.Key] = (string?)entry.Value ?? "";
        return env;
    }
}
