using System.Text;
using Loom.Actors.Protocol;
using Loom.Actors.Scheduling;
using Loom.Core.Model;
using static Loom.Actors.Protocol.RunEvents;

namespace Loom.Actors.Serialization;

/// <summary>
/// The journal's format for a run's events and snapshots: hand-written binary, field by field. Every run journals
/// these on its path, and JSON metadata for them cost each <c>loom</c> process some 550 jitted methods
/// (System.Text.Json's generic code over value types cannot be precompiled for Loom's types).
/// </summary>
/// <remarks>
/// Layout: a format byte, then the fields in declaration order. Strings are length-prefixed UTF-8 with a
/// presence byte where they may be null; maps and lists are a count then their items; times are UTC ticks and
/// an offset in minutes. A changed layout gets a new format byte, and an entry of an unknown format is refused
/// by name rather than misread.
/// </remarks>
internal static class RunEventCodec
{
    private const byte Format = 1;

    public static bool Handles(object message) => message is IRunEvent or RunSnapshot;

    public static byte[] Write(object message)
    {
        using var stream = new MemoryStream(128);
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Format);
            switch (message)
            {
                case RunDefined e:
                    w.Write(e.WorkflowPath);
                    w.Write(e.DisplayPath);
                    w.Write(e.WorkflowHash);
                    w.Write(e.WorkflowText);
                    WriteList(w, e.Jobs);
                    WriteNullable(w, e.MaxParallel);
                    w.Write(e.SkipUses);
                    WriteContexts(w, e.Contexts);
                    WriteTime(w, e.At);
                    w.Write(e.Carried.Count);
                    foreach (var (job, carried) in e.Carried)
                    {
                        w.Write(job);
                        w.Write(carried.FromRunId);
                        w.Write((byte)carried.Result);
                        WriteMap(w, carried.Outputs);
                    }
                    w.Write(e.NoCache);
                    WriteNullable(w, e.LogsFolder);
                    WriteNullable(w, e.Workspace);
                    break;
                case RunStarted e:
                    w.Write(e.RunId);
                    w.Write(e.Workflow);
                    WriteList(w, e.Jobs);
                    w.Write(e.MaxParallel);
                    WriteTime(w, e.At);
                    break;
                case JobQueued e:
                    w.Write(e.JobId);
                    WriteTime(w, e.At);
                    break;
                case MatrixExpanded e:
                    w.Write(e.JobId);
                    w.Write(e.Cells.Count);
                    foreach (var cell in e.Cells)
                    {
                        w.Write(cell.Id);
                        w.Write(cell.MatrixJson);
                    }
                    WriteTime(w, e.At);
                    break;
                case JobStarted e:
                    w.Write(e.JobId);
                    w.Write(e.Attempt);
                    WriteTime(w, e.At);
                    WriteNullable(w, e.Title);
                    break;
                case JobInterrupted e:
                    w.Write(e.JobId);
                    w.Write(e.Attempt);
                    WriteTime(w, e.At);
                    break;
                case JobCarried e:
                    w.Write(e.JobId);
                    w.Write((byte)e.Result);
                    WriteMap(w, e.Outputs);
                    w.Write(e.FromRunId);
                    WriteTime(w, e.At);
                    break;
                case JobCancelling e:
                    w.Write(e.JobId);
                    w.Write(e.Reason);
                    WriteTime(w, e.At);
                    break;
                case JobSkipped e:
                    w.Write(e.JobId);
                    w.Write((byte)e.Result);
                    w.Write(e.Reason);
                    WriteTime(w, e.At);
                    WriteNullable(w, e.Cause);
                    break;
                case StepStarted e:
                    w.Write(e.JobId);
                    w.Write(e.Step);
                    w.Write(e.Title);
                    WriteTime(w, e.At);
                    WriteNullable(w, e.Pid);
                    w.Write(e.ProcessStartTicks);
                    break;
                case StepFinished e:
                    w.Write(e.JobId);
                    w.Write(e.Step);
                    w.Write((byte)e.Outcome);
                    w.Write((byte)e.Conclusion);
                    WriteNullable(w, e.ExitCode);
                    w.Write(e.Duration.Ticks);
                    WriteNullable(w, e.Error);
                    WriteTime(w, e.At);
                    break;
                case JobFinished e:
                    w.Write(e.JobId);
                    w.Write((byte)e.Result);
                    w.Write(e.TimedOut);
                    WriteNullable(w, e.Error);
                    w.Write(e.Duration.Ticks);
                    WriteTime(w, e.At);
                    w.Write(e.Outputs is not null);
                    if (e.Outputs is not null)
                        WriteMap(w, e.Outputs);
                    w.Write(e.Retrying);
                    w.Write(e.RetryDelay.Ticks);
                    WriteNullable(w, e.CacheKey);
                    WriteNullable(w, e.CachedFrom);
                    break;
                case RunCancelling e:
                    w.Write(e.Reason);
                    WriteTime(w, e.At);
                    break;
                case RunFinished e:
                    w.Write((byte)e.Result);
                    w.Write(e.Duration.Ticks);
                    WriteTime(w, e.At);
                    break;
                case RunSnapshot s:
                    WriteSnapshot(w, s);
                    break;
                default:
                    throw new ArgumentException($"no journal format for {message.GetType().Name}", nameof(message));
            }
        }
        return stream.ToArray();
    }

    public static object Read(Type type, byte[] bytes)
    {
        using var r = new BinaryReader(new MemoryStream(bytes, writable: false), Encoding.UTF8);
        var format = r.ReadByte();
        if (format != Format)
            throw new System.Runtime.Serialization.SerializationException($"journal entry of format {format}; this loom reads format {Format}");
        if (type == typeof(RunDefined))
        {
            var defined = new RunDefined(r.ReadString(), r.ReadString(), r.ReadString(), r.ReadString(), ReadList(r), ReadNullableInt(r), r.ReadBoolean(),
                ReadContexts(r), ReadTime(r));
            var carried = new Dictionary<string, CarriedJob>(StringComparer.Ordinal);
            for (var count = r.ReadInt32(); count > 0; count--)
                carried[r.ReadString()] = new CarriedJob(r.ReadString(), (Result)r.ReadByte(), ReadMap(r));
            defined = defined with { Carried = carried, NoCache = r.ReadBoolean(), LogsFolder = ReadNullableString(r) };
            // Runs journaled before the workspace was recorded end here.
            return r.BaseStream.Position < r.BaseStream.Length ? defined with { Workspace = ReadNullableString(r) } : defined;
        }
        if (type == typeof(RunStarted))
            return new RunStarted(r.ReadString(), r.ReadString(), ReadList(r), r.ReadInt32(), ReadTime(r));
        if (type == typeof(JobQueued))
            return new JobQueued(r.ReadString(), ReadTime(r));
        if (type == typeof(MatrixExpanded))
        {
            var job = r.ReadString();
            var cells = new MatrixCell[r.ReadInt32()];
            for (var i = 0; i < cells.Length; i++)
                cells[i] = new MatrixCell(r.ReadString(), r.ReadString());
            return new MatrixExpanded(job, cells, ReadTime(r));
        }
        if (type == typeof(JobStarted))
            return new JobStarted(r.ReadString(), r.ReadInt32(), ReadTime(r), ReadNullableString(r));
        if (type == typeof(JobInterrupted))
            return new JobInterrupted(r.ReadString(), r.ReadInt32(), ReadTime(r));
        if (type == typeof(JobCarried))
            return new JobCarried(r.ReadString(), (Result)r.ReadByte(), ReadMap(r), r.ReadString(), ReadTime(r));
        if (type == typeof(JobCancelling))
            return new JobCancelling(r.ReadString(), r.ReadString(), ReadTime(r));
        if (type == typeof(JobSkipped))
            return new JobSkipped(r.ReadString(), (Result)r.ReadByte(), r.ReadString(), ReadTime(r), ReadNullableString(r));
        if (type == typeof(StepStarted))
            return new StepStarted(r.ReadString(), r.ReadInt32(), r.ReadString(), ReadTime(r), ReadNullableInt(r), r.ReadInt64());
        if (type == typeof(StepFinished))
            return new StepFinished(r.ReadString(), r.ReadInt32(), (Result)r.ReadByte(), (Result)r.ReadByte(), ReadNullableInt(r),
                TimeSpan.FromTicks(r.ReadInt64()), ReadNullableString(r), ReadTime(r));
        if (type == typeof(JobFinished))
            return new JobFinished(r.ReadString(), (Result)r.ReadByte(), r.ReadBoolean(), ReadNullableString(r), TimeSpan.FromTicks(r.ReadInt64()), ReadTime(r),
                r.ReadBoolean() ? ReadMap(r) : null, r.ReadBoolean(), TimeSpan.FromTicks(r.ReadInt64()), ReadNullableString(r), ReadNullableString(r));
        if (type == typeof(RunCancelling))
            return new RunCancelling(r.ReadString(), ReadTime(r));
        if (type == typeof(RunFinished))
            return new RunFinished((Result)r.ReadByte(), TimeSpan.FromTicks(r.ReadInt64()), ReadTime(r));
        if (type == typeof(RunSnapshot))
            return ReadSnapshot(r);
        throw new System.Runtime.Serialization.SerializationException($"no journal format for {type.Name}");
    }

    private static void WriteSnapshot(BinaryWriter w, RunSnapshot s)
    {
        w.Write(s.Started);
        w.Write(s.Cancelled);
        w.Write(s.Finished);
        WriteNullable(w, s.RunResult);
        w.Write(s.StartedAt is not null);
        if (s.StartedAt is { } started)
            WriteTime(w, started);
        w.Write(s.WorkflowFailed);
        w.Write(s.Jobs.Count);
        foreach (var job in s.Jobs)
        {
            w.Write(job.Id);
            w.Write((byte)job.Phase);
            WriteNullable(w, job.Result);
            WriteNullable(w, job.EffectiveResult);
            WriteNullable(w, job.Reason);
            w.Write(job.FailedOrUpstream);
            w.Write(job.Units.Count);
            foreach (var u in job.Units)
            {
                w.Write(u.Id);
                w.Write(u.Cell);
                WriteNullable(w, u.MatrixJson);
                w.Write((byte)u.Phase);
                WriteNullable(w, u.Result);
                WriteNullable(w, u.EffectiveResult);
                w.Write(u.ContinueOnError);
                w.Write(u.TimedOut);
                WriteNullable(w, u.Reason);
                w.Write(u.StartedAt is not null);
                if (u.StartedAt is { } at)
                    WriteTime(w, at);
                w.Write(u.Duration.Ticks);
                WriteNullable(w, u.CurrentStep);
                w.Write(u.StepsFinished);
                w.Write(u.Attempt);
                w.Write(u.Interrupted);
                WriteMap(w, u.Outputs);
                WriteNullable(w, u.CacheKey);
                WriteNullable(w, u.ProcessId);
                w.Write(u.ProcessStartTimeTicks);
            }
        }
    }

    private static RunSnapshot ReadSnapshot(BinaryReader r)
    {
        var (started, cancelled, finished, result) = (r.ReadBoolean(), r.ReadBoolean(), r.ReadBoolean(), ReadNullableResult(r));
        DateTimeOffset? startedAt = r.ReadBoolean() ? ReadTime(r) : null;
        var failed = r.ReadBoolean();
        var jobs = new JobSnapshot[r.ReadInt32()];
        for (var i = 0; i < jobs.Length; i++)
        {
            var (id, phase, jobResult, effective, reason, upstream) = (r.ReadString(), (JobPhase)r.ReadByte(), ReadNullableResult(r), ReadNullableResult(r),
                ReadNullableString(r), r.ReadBoolean());
            var units = new UnitSnapshot[r.ReadInt32()];
            for (var k = 0; k < units.Length; k++)
            {
                var (unitId, cell, matrix, unitPhase, unitResult, unitEffective, continueOnError, timedOut, unitReason) = (r.ReadString(), r.ReadInt32(),
                    ReadNullableString(r), (JobPhase)r.ReadByte(), ReadNullableResult(r), ReadNullableResult(r), r.ReadBoolean(), r.ReadBoolean(), ReadNullableString(r));
                DateTimeOffset? unitStarted = r.ReadBoolean() ? ReadTime(r) : null;
                units[k] = new UnitSnapshot(unitId, cell, matrix, unitPhase, unitResult, unitEffective, continueOnError, timedOut, unitReason, unitStarted,
                    TimeSpan.FromTicks(r.ReadInt64()), ReadNullableString(r), r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), ReadMap(r), ReadNullableString(r),
                    ReadNullableInt(r), r.ReadInt64());
            }
            jobs[i] = new JobSnapshot(id, phase, jobResult, effective, reason, upstream, units);
        }
        return new RunSnapshot(started, cancelled, finished, result, startedAt, failed, jobs);
    }

    private static void WriteContexts(BinaryWriter w, RunContexts c)
    {
        WriteMap(w, c.Loom);
        w.Write(c.EventJson);
        WriteMap(w, c.Vars);
        WriteMap(w, c.Inputs);
        WriteMap(w, c.Secrets);
    }

    private static RunContexts ReadContexts(BinaryReader r) => new(ReadMap(r), r.ReadString(), ReadMap(r), ReadMap(r), ReadMap(r));

    private static void WriteTime(BinaryWriter w, DateTimeOffset time)
    {
        w.Write(time.UtcTicks);
        w.Write((short)time.Offset.TotalMinutes);
    }

    private static DateTimeOffset ReadTime(BinaryReader r)
    {
        var utc = r.ReadInt64();
        var offset = TimeSpan.FromMinutes(r.ReadInt16());
        return new DateTimeOffset(utc + offset.Ticks, offset);
    }

    private static void WriteList(BinaryWriter w, IReadOnlyList<string> items)
    {
        w.Write(items.Count);
        foreach (var item in items)
            w.Write(item);
    }

    private static string[] ReadList(BinaryReader r)
    {
        var items = new string[r.ReadInt32()];
        for (var i = 0; i < items.Length; i++)
            items[i] = r.ReadString();
        return items;
    }

    private static void WriteMap(BinaryWriter w, IReadOnlyDictionary<string, string> map)
    {
        w.Write(map.Count);
        foreach (var (key, value) in map)
        {
            w.Write(key);
            w.Write(value);
        }
    }

    private static Dictionary<string, string> ReadMap(BinaryReader r)
    {
        var count = r.ReadInt32();
        var map = new Dictionary<string, string>(count, StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
            map[r.ReadString()] = r.ReadString();
        return map;
    }

    private static void WriteNullable(BinaryWriter w, string? value)
    {
        w.Write(value is not null);
        if (value is not null)
            w.Write(value);
    }

    private static void WriteNullable(BinaryWriter w, int? value)
    {
        w.Write(value.HasValue);
        if (value is { } v)
            w.Write(v);
    }

    private static void WriteNullable(BinaryWriter w, Result? value) => w.Write(value is { } v ? (byte)(v + 1) : (byte)0);

    private static string? ReadNullableString(BinaryReader r) => r.ReadBoolean() ? r.ReadString() : null;

    private static int? ReadNullableInt(BinaryReader r) => r.ReadBoolean() ? r.ReadInt32() : null;

    private static Result? ReadNullableResult(BinaryReader r) => r.ReadByte() is var b && b == 0 ? null : (Result)(b - 1);
}
