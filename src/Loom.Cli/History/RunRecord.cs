using System.Text.Json;
using Loom.Cli.Output;
using Loom.Core.Model;

namespace Loom.Cli.History;

/// <summary>
/// What <c>loom why</c> reads back: each job's result and the reason it ended that way, written to
/// <c>.loom/runs/&lt;run-id&gt;/run.json</c> when a run ends (<c>.loom/runs/latest</c> names the newest).
/// A stop-gap until runs are journaled: small, and never holding a secret (reasons are masked).
/// </summary>
public sealed record RunRecord(string RunId, string Workflow, string Result, IReadOnlyList<JobRecord> Jobs)
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static string RunsFolder(string workspace) => Path.Combine(workspace, ".loom", "runs");

    public static RunRecord From(RunTally tally) => new(
        tally.Started?.RunId ?? "",
        tally.Started?.Workflow ?? "",
        tally.Finished?.Result.ToWire() ?? "cancelled",
        tally.Jobs.Select(j => new JobRecord(j.Id, j.Result?.ToWire() ?? "cancelled", j.Reason, j.Cause, j.FailedStep, j.FailedExitCode)).ToArray());

    /// <summary>Writes the record and points <c>latest</c> at it; a failure to write is reported, never fatal to the run.</summary>
    /// <remarks>Written by hand: the reflection serializer's first use costs some 30 ms at the end of every run.</remarks>
    public void Save(string workspace)
    {
        var folder = Path.Combine(RunsFolder(workspace), RunId);
        Directory.CreateDirectory(folder);
        using (var file = File.Create(Path.Combine(folder, "run.json")))
        using (var writer = new Utf8JsonWriter(file, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("runId", RunId);
            writer.WriteString("workflow", Workflow);
            writer.WriteString("result", Result);
            writer.WriteStartArray("jobs");
            foreach (var job in Jobs)
            {
                writer.WriteStartObject();
                writer.WriteString("id", job.Id);
                writer.WriteString("result", job.Result);
                writer.WriteString("reason", job.Reason);
                writer.WriteString("cause", job.Cause);
                writer.WriteString("failedStep", job.FailedStep);
                if (job.ExitCode is { } code)
                    writer.WriteNumber("exitCode", code);
                else
                    writer.WriteNull("exitCode");
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        var latest = Path.Combine(RunsFolder(workspace), "latest");
        File.WriteAllText(latest + ".tmp", RunId);
        File.Move(latest + ".tmp", latest, overwrite: true);
    }

    /// <param name="runId">A run id, or null for the latest run.</param>
    public static RunRecord? Load(string workspace, string? runId)
    {
        var folder = RunsFolder(workspace);
        try
        {
            runId ??= File.ReadAllText(Path.Combine(folder, "latest")).Trim();
            return JsonSerializer.Deserialize<RunRecord>(File.ReadAllText(Path.Combine(folder, runId, "run.json")), Json);
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

/// <param name="Cause">The need that made this job skip, when that is why.</param>
public sealed record JobRecord(string Id, string Result, string? Reason, string? Cause, string? FailedStep, int? ExitCode);
