using Loom.Core.Diagnostics;
using Loom.Core.Model;

namespace Loom.Actors.Tests;

/// <summary>Builds workflows in code, so scheduler tests do not depend on the YAML parser.</summary>
public static class TestWorkflows
{
    public sealed record J(string Id, string[]? Needs = null, string? If = null, bool ContinueOnError = false, string Run = "true", double TimeoutMinutes = Job.DefaultTimeoutMinutes);

    public static Workflow Of(params J[] jobs) => new(
        "test",
        "test.loom.yml",
        new Dictionary<string, string>(),
        RunDefaults.None,
        null,
        jobs.Select(j => new Job(
            j.Id,
            null,
            j.Needs ?? [],
            j.If is null ? Condition.Default : Condition.TryParse(j.If, out _, out _)!,
            new Dictionary<string, string>(),
            RunDefaults.None,
            j.TimeoutMinutes,
            j.ContinueOnError,
            [],
            [Step(0, j.Run)],
            SourceLocation.Start)).ToList());

    public static Step Step(int index, string run, string? @if = null, bool continueOnError = false, double? timeoutMinutes = null) => new(
        index, null, null, run, null, null, new Dictionary<string, string>(),
        @if is null ? Condition.Default : Condition.TryParse(@if, out _, out _)!,
        timeoutMinutes, continueOnError, SourceLocation.Start);
}
