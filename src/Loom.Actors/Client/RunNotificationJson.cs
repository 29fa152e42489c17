using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Loom.Actors.Protocol;
using Loom.Core.Model;
using static Loom.Actors.Protocol.RunEvents;

namespace Loom.Actors.Client;

/// <summary>
/// A run's notifications as JSON objects, as <c>loom run --json</c> prints them (one per line): <c>"event"</c> names the
/// kind, then the record's properties in camelCase, in declaration order (results as camelCase strings, durations as
/// <c>d.hh:mm:ss.fffffff</c>). <see cref="LoomProtocol.RunAccepted"/> is written as <c>runAccepted</c> with the run id and
/// its warnings (<c>loom run --json</c> leaves it out).
/// </summary>
/// <remarks>
/// Written field by field: serializing each record by reflection into a JSON tree cost some 50 ms at the first events of
/// a run and tens of microseconds per event after.
/// </remarks>
public static class RunNotificationJson
{
    /// <summary>One notification as a JSON object on one line; null for one that has no JSON form.</summary>
    public static string? ToJson(IRunNotification notification)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using var writer = new Utf8JsonWriter(buffer);
        if (!Write(writer, notification))
            return null;
        writer.Flush();
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Writes one notification as an object; false for one that is not shown.</summary>
    public static bool Write(Utf8JsonWriter writer, IRunNotification notification)
    {
        switch (notification)
        {
            case OutputLine o:
                Start(writer, "outputLine");
                writer.WriteString("jobId", o.JobId);
                writer.WriteNumber("step", o.Step);
                writer.WriteString("line", o.Line);
                writer.WriteString("at", o.At);
                WriteNullable(writer, "group", o.Group);
                break;
            case StepStarted s:
                Start(writer, "stepStarted");
                writer.WriteString("jobId", s.JobId);
                writer.WriteNumber("step", s.Step);
                writer.WriteString("title", s.Title);
                writer.WriteString("at", s.At);
                if (s.Pid is { } pid)
                    writer.WriteNumber("pid", pid);
                else
                    writer.WriteNull("pid");
                writer.WriteNumber("processStartTicks", s.ProcessStartTicks);
                break;
            case StepFinished s:
                Start(writer, "stepFinished");
                writer.WriteString("jobId", s.JobId);
                writer.WriteNumber("step", s.Step);
                writer.WriteString("outcome", Name(s.Outcome));
                writer.WriteString("conclusion", Name(s.Conclusion));
                if (s.ExitCode is { } code)
                    writer.WriteNumber("exitCode", code);
                else
                    writer.WriteNull("exitCode");
                writer.WriteString("duration", Duration(s.Duration));
                WriteNullable(writer, "error", s.Error);
                writer.WriteString("at", s.At);
                break;
            case JobQueued q:
                Start(writer, "jobQueued");
                writer.WriteString("jobId", q.JobId);
                writer.WriteString("at", q.At);
                break;
            case JobStarted s:
                Start(writer, "jobStarted");
                writer.WriteString("jobId", s.JobId);
                writer.WriteNumber("attempt", s.Attempt);
                writer.WriteString("at", s.At);
                WriteNullable(writer, "title", s.Title);
                break;
            case JobFinished f:
                Start(writer, "jobFinished");
                writer.WriteString("jobId", f.JobId);
                writer.WriteString("result", Name(f.Result));
                writer.WriteBoolean("timedOut", f.TimedOut);
                WriteNullable(writer, "error", f.Error);
                writer.WriteString("duration", Duration(f.Duration));
                writer.WriteString("at", f.At);
                if (f.Outputs is { } outputs)
                {
                    writer.WriteStartObject("outputs");
                    foreach (var (name, value) in outputs)
                        writer.WriteString(name, value);
                    writer.WriteEndObject();
                }
                else
                    writer.WriteNull("outputs");
                writer.WriteBoolean("retrying", f.Retrying);
                writer.WriteString("retryDelay", Duration(f.RetryDelay));
                WriteNullable(writer, "cacheKey", f.CacheKey);
                WriteNullable(writer, "cachedFrom", f.CachedFrom);
                break;
            case MatrixExpanded m:
                Start(writer, "matrixExpanded");
                writer.WriteString("jobId", m.JobId);
                writer.WriteStartArray("cells");
                foreach (var cell in m.Cells)
                {
                    writer.WriteStartObject();
                    writer.WriteString("id", cell.Id);
                    writer.WriteString("matrixJson", cell.MatrixJson);
                    writer.WriteEndObject();
                }
                writer.WriteEndArray();
                writer.WriteString("at", m.At);
                break;
            case JobCarried c:
                Start(writer, "jobCarried");
                writer.WriteString("jobId", c.JobId);
                writer.WriteString("result", c.Result.ToWire());
                writer.WriteStartObject("outputs");
                foreach (var (name, value) in c.Outputs)
                    writer.WriteString(name, value);
                writer.WriteEndObject();
                writer.WriteString("fromRunId", c.FromRunId);
                writer.WriteString("at", c.At);
                break;
            case JobInterrupted i:
                Start(writer, "jobInterrupted");
                writer.WriteString("jobId", i.JobId);
                writer.WriteNumber("attempt", i.Attempt);
                writer.WriteString("at", i.At);
                break;
            case JobCancelling c:
                Start(writer, "jobCancelling");
                writer.WriteString("jobId", c.JobId);
                writer.WriteString("reason", c.Reason);
                writer.WriteString("at", c.At);
                break;
            case Annotation a:
                Start(writer, "annotation");
                writer.WriteString("jobId", a.JobId);
                writer.WriteNumber("step", a.Step);
                writer.WriteString("level", a.Level);
                writer.WriteString("message", a.Message);
                WriteNullable(writer, "file", a.File);
                if (a.Line is { } line)
                    writer.WriteNumber("line", line);
                else
                    writer.WriteNull("line");
                if (a.Column is { } column)
                    writer.WriteNumber("column", column);
                else
                    writer.WriteNull("column");
                WriteNullable(writer, "title", a.Title);
                writer.WriteString("at", a.At);
                break;
            case StepSummary summary:
                Start(writer, "stepSummary");
                writer.WriteString("jobId", summary.JobId);
                writer.WriteString("markdown", summary.Markdown);
                writer.WriteString("at", summary.At);
                break;
            case JobSkipped s:
                Start(writer, "jobSkipped");
                writer.WriteString("jobId", s.JobId);
                writer.WriteString("result", Name(s.Result));
                writer.WriteString("reason", s.Reason);
                writer.WriteString("at", s.At);
                WriteNullable(writer, "cause", s.Cause);
                break;
            case RunStarted s:
                Start(writer, "runStarted");
                writer.WriteString("runId", s.RunId);
                writer.WriteString("workflow", s.Workflow);
                writer.WriteStartArray("jobs");
                foreach (var job in s.Jobs)
                    writer.WriteStringValue(job);
                writer.WriteEndArray();
                writer.WriteNumber("maxParallel", s.MaxParallel);
                writer.WriteString("at", s.At);
                break;
            case RunCancelling c:
                Start(writer, "runCancelling");
                writer.WriteString("reason", c.Reason);
                writer.WriteString("at", c.At);
                break;
            case RunFinished f:
                Start(writer, "runFinished");
                writer.WriteString("result", Name(f.Result));
                writer.WriteString("duration", Duration(f.Duration));
                writer.WriteString("at", f.At);
                break;
            case WorkflowChanged w:
                Start(writer, "workflowChanged");
                writer.WriteString("path", w.Path);
                writer.WriteString("at", w.At);
                break;
            case LoomProtocol.RunHeld h:
                Start(writer, "runHeld");
                writer.WriteString("runId", h.RunId);
                writer.WriteString("group", h.Group);
                writer.WriteBoolean("cancelInProgress", h.CancelInProgress);
                break;
            case LoomProtocol.RunWaiting w:
                Start(writer, "runWaiting");
                writer.WriteString("runId", w.RunId);
                writer.WriteString("group", w.Group);
                writer.WriteString("holder", w.Holder);
                writer.WriteBoolean("cancelling", w.Cancelling);
                break;
            case WatchProtocol.Watching w:
                Start(writer, "watching");
                writer.WriteString("workspace", w.Workspace);
                writer.WriteBoolean("polling", w.Polling);
                WriteNullable(writer, "fallbackReason", w.FallbackReason);
                writer.WriteString("at", w.At);
                break;
            case WatchProtocol.CycleStarting c:
                Start(writer, "cycleStarting");
                writer.WriteString("runId", c.RunId);
                writer.WriteNumber("cycle", c.Cycle);
                WriteList(writer, "reasons", c.Reasons);
                WriteList(writer, "jobs", c.Jobs);
                writer.WriteString("at", c.At);
                break;
            case WatchProtocol.ChangesWhileBusy b:
                Start(writer, "changesWhileBusy");
                writer.WriteString("action", b.Action);
                WriteList(writer, "reasons", b.Reasons);
                writer.WriteString("at", b.At);
                break;
            case WatchProtocol.WorkflowReloaded r:
                Start(writer, "workflowReloaded");
                writer.WriteString("path", r.Path);
                WriteList(writer, "added", r.Added);
                WriteList(writer, "removed", r.Removed);
                WriteList(writer, "changed", r.Changed);
                writer.WriteString("at", r.At);
                break;
            case WatchProtocol.WorkflowRejected r:
                Start(writer, "workflowRejected");
                writer.WriteString("path", r.Path);
                WriteList(writer, "errors", r.Errors);
                writer.WriteString("at", r.At);
                break;
            case WatchProtocol.RunsForgotten f:
                Start(writer, "runsForgotten");
                WriteList(writer, "runIds", f.RunIds);
                writer.WriteString("at", f.At);
                break;
            case WatchProtocol.WatchEnded e:
                Start(writer, "watchEnded");
                writer.WriteString("reason", e.Reason);
                writer.WriteString("at", e.At);
                break;
            case LoomProtocol.RunRejected r:
                Start(writer, "runRejected");
                writer.WriteString("runId", r.RunId);
                writer.WriteStartArray("errors");
                foreach (var error in r.Errors)
                    writer.WriteStringValue(error);
                writer.WriteEndArray();
                break;
            case LoomProtocol.RunAccepted a:
                // Its scheduler's actor reference means nothing outside the process: the run id and the warnings.
                Start(writer, "runAccepted");
                writer.WriteString("runId", a.RunId);
                WriteList(writer, "warnings", a.Warnings);
                break;
            default:
                return false;
        }
        writer.WriteEndObject();
        return true;
    }

    private static void Start(Utf8JsonWriter writer, string kind)
    {
        writer.WriteStartObject();
        writer.WriteString("event", kind);
    }

    private static void WriteList(Utf8JsonWriter writer, string name, IReadOnlyList<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values)
            writer.WriteStringValue(value);
        writer.WriteEndArray();
    }

    private static void WriteNullable(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
            writer.WriteNull(name);
        else
            writer.WriteString(name, value);
    }

    // What JsonStringEnumConverter(CamelCase) wrote for every Result.
    private static string Name(Result result) => result switch
    {
        Result.Success => "success",
        Result.Failure => "failure",
        Result.Cancelled => "cancelled",
        Result.Skipped => "skipped",
        _ => JsonNamingPolicy.CamelCase.ConvertName(result.ToString()),
    };

    // System.Text.Json's TimeSpan format.
    private static string Duration(TimeSpan duration) => duration.ToString("c", CultureInfo.InvariantCulture);
}
