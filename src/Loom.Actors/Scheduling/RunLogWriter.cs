using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Akka.Event;

namespace Loom.Actors.Scheduling;

/// <summary>
/// The format of a run's step logs, shared by <see cref="RunLogWriter"/> and <c>loom logs</c>. One file per job
/// attempt that printed something, <c>&lt;unit&gt;.&lt;attempt&gt;.log</c> (<see cref="NameOf"/>), UTF-8, the lines as
/// the steps printed them (secrets masked), each step's first line preceded by a header
/// <c>::step &lt;n&gt; &lt;title&gt;</c> (n from 1), and after the size limit one last line
/// <c>[loom] output truncated at 16 MiB: N more lines not kept</c>. An annotation a step printed (<c>::error::</c>,
/// <c>::warning::</c>, <c>::notice::</c>) is kept where it came as its workflow command, re-encoded after masking
/// (<see cref="AnnotationLine"/>): <c>::error file=a.cs,line=3,title=Build::message</c>.
/// </summary>
public static class RunLogFiles
{
    public const string StepHeader = "::step ";
    public const string TruncationPrefix = "[loom] output truncated at ";

    /// <summary>
    /// A file name for a unit's attempt: a job id as it is (ids are file-safe); a matrix cell id such as
    /// <c>build (linux, 8)</c> with every run of other characters as <c>_</c> and a hash of the id, so two
    /// cells never share a file: <c>build_linux_8_-1a2b3c4d.1.log</c>.
    /// </summary>
    public static string NameOf(string unitId, int attempt)
    {
        var safe = new StringBuilder(unitId.Length);
        var changed = false;
        foreach (var c in unitId)
        {
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')
                safe.Append(c);
            else
            {
                changed = true;
                if (safe.Length == 0 || safe[^1] != '_')
                    safe.Append('_');
            }
        }
        // Long matrix values would exceed a file name's 255 bytes.
        if (safe.Length > 100)
        {
            safe.Length = 100;
            changed = true;
        }
        if (changed)
            safe.Append('-').Append(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(unitId)), 0, 4));
        return safe.Append('.').Append(attempt.ToString(CultureInfo.InvariantCulture)).Append(".log").ToString();
    }

    public static string Header(int step, string? title) => $"{StepHeader}{step + 1} {title}";

    /// <summary>A step header's number (from 1) and title; false for any other line.</summary>
    public static bool TryReadHeader(string line, out int step, out string title)
    {
        step = 0;
        title = "";
        if (!line.StartsWith(StepHeader, StringComparison.Ordinal))
            return false;
        var rest = line.AsSpan(StepHeader.Length);
        var space = rest.IndexOf(' ');
        if (space < 0 || !int.TryParse(rest[..space], NumberStyles.None, CultureInfo.InvariantCulture, out step))
            return false;
        title = rest[(space + 1)..].ToString();
        return true;
    }

    /// <summary>An annotation as a log line: its workflow command, GitHub's escapes applied to the message and the properties.</summary>
    public static string AnnotationLine(string level, string message, string? file, int? line, int? column, string? title)
    {
        var text = new StringBuilder("::").Append(level);
        var separator = ' ';
        void Property(string key, string? value)
        {
            if (string.IsNullOrEmpty(value))
                return;
            text.Append(separator).Append(key).Append('=').Append(Escape(value, property: true));
            separator = ',';
        }
        Property("file", file);
        Property("line", line?.ToString(CultureInfo.InvariantCulture));
        Property("col", column?.ToString(CultureInfo.InvariantCulture));
        Property("title", title);
        return text.Append("::").Append(Escape(message, property: false)).ToString();
    }

    /// <summary>An annotation line's parts (<see cref="AnnotationLine"/>); false for any other line.</summary>
    public static bool TryReadAnnotation(string text, out LoggedAnnotation annotation)
    {
        annotation = default;
        if (!text.StartsWith("::", StringComparison.Ordinal) || !Core.Runtime.WorkflowCommand.TryParse(text, out var command)
            || command.Name is not ("error" or "warning" or "notice"))
            return false;
        static int? Number(string? value) => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
        annotation = new LoggedAnnotation(command.Name, command.Message, command.Property("file"), Number(command.Property("line")),
            Number(command.Property("col")), command.Property("title"));
        return true;
    }

    private static string Escape(string value, bool property)
    {
        var escaped = value.Replace("%", "%25", StringComparison.Ordinal).Replace("\r", "%0D", StringComparison.Ordinal).Replace("\n", "%0A", StringComparison.Ordinal);
        return property ? escaped.Replace(":", "%3A", StringComparison.Ordinal).Replace(",", "%2C", StringComparison.Ordinal) : escaped;
    }

    public static string TruncationLine(long maxBytes, long droppedLines) =>
        $"{TruncationPrefix}{Size(maxBytes)}: {droppedLines} more line{(droppedLines == 1 ? "" : "s")} not kept";

    private static string Size(long bytes) =>
        bytes % (1024 * 1024) == 0 ? $"{bytes / (1024 * 1024)} MiB"
        : bytes % 1024 == 0 ? $"{bytes / 1024} KiB"
        : $"{bytes} bytes";
}

/// <summary>An annotation read back from a step log (<see cref="RunLogFiles.AnnotationLine"/>).</summary>
public readonly record struct LoggedAnnotation(string Level, string Message, string? File, int? Line, int? Column, string? Title);

/// <summary>
/// Writes a run's step output to its log files (<see cref="RunLogFiles"/>). Owned by the run's scheduler and called on
/// its thread: a line is appended to its job's buffer there, and the buffers go to disk on pool threads, one write
/// after another, when one fills, when the job ends, on <see cref="Flush"/> (a timer, for <c>loom logs --follow</c>)
/// and at the end of the run. A job that prints nothing costs nothing; a disk that fails loses the logs, never the run.
/// The run's default <see cref="IStepLogSink"/>.
/// </summary>
public sealed class RunLogWriter(string folder, long maxFileBytes, ILoggingAdapter log) : IStepLogSink
{
    private const int ChunkChars = 32 * 1024;
    private readonly Dictionary<string, UnitLog> open = new(StringComparer.Ordinal);
    private Task tail = Task.CompletedTask;
    private volatile bool failed;
    // Touched on the IO side only.
    private bool folderCreated;

    public string Folder => folder;

    /// <summary>Whether any job printed a line yet: the scheduler starts its flush timer on the first.</summary>
    public bool Started { get; private set; }

    /// <param name="step">The step's index (from 0), <paramref name="title"/> its name.</param>
    public void Write(string unitId, int attempt, int step, string? title, string line)
    {
        if (!open.TryGetValue(unitId, out var unit) || unit.Attempt != attempt)
        {
            if (unit is not null)
                Close(unitId);
            open[unitId] = unit = new UnitLog(Path.Combine(folder, RunLogFiles.NameOf(unitId, attempt)), attempt);
            Started = true;
        }
        var lineBytes = Encoding.UTF8.GetByteCount(line) + 1;
        if (unit.Dropped > 0 || unit.Bytes + lineBytes > maxFileBytes)
        {
            // Once full, a file stays full: a later short line would read as if nothing were lost before it.
            unit.Dropped++;
            return;
        }
        if (step != unit.Step)
        {
            unit.Step = step;
            var header = RunLogFiles.Header(step, title);
            unit.Bytes += Encoding.UTF8.GetByteCount(header) + 1;
            unit.Pending.Append(header).Append('\n');
        }
        unit.Bytes += lineBytes;
        unit.Pending.Append(line).Append('\n');
        if (unit.Pending.Length >= ChunkChars)
            Send(unit, close: false);
    }

    /// <summary>Every job's buffered lines to disk (the files stay open).</summary>
    public void Flush()
    {
        foreach (var unit in open.Values)
            if (unit.Pending.Length > 0)
                Send(unit, close: false);
    }

    /// <summary>The job's attempt ended: its last lines, the truncation line if any, and the file is closed.</summary>
    public void Close(string unitId)
    {
        if (open.Remove(unitId, out var unit))
            Send(unit, close: true);
    }

    /// <summary>Closes every file; completes once everything is on disk.</summary>
    public Task CloseAllAsync()
    {
        foreach (var unit in open.Values)
            Send(unit, close: true);
        open.Clear();
        return tail;
    }

    private void Send(UnitLog unit, bool close)
    {
        if (close && unit.Dropped > 0)
            unit.Pending.Append(RunLogFiles.TruncationLine(maxFileBytes, unit.Dropped)).Append('\n');
        var text = unit.Pending.ToString();
        unit.Pending.Clear();
        tail = tail.ContinueWith(_ => Append(unit, text, close), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    // On a pool thread, one at a time: the only code that touches a unit's stream.
    private void Append(UnitLog unit, string text, bool close)
    {
        if (failed)
            return;
        try
        {
            if (text.Length > 0)
            {
                if (unit.File is null)
                {
                    if (!folderCreated)
                        Directory.CreateDirectory(folder);
                    folderCreated = true;
                    // A handle and positioned writes: a FileStream's machinery costs more than the write of a small job's log.
                    unit.File = File.OpenHandle(unit.Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
                    unit.Length = RandomAccess.GetLength(unit.File);
                }
                var bytes = Encoding.UTF8.GetBytes(text);
                RandomAccess.Write(unit.File, bytes, unit.Length);
                unit.Length += bytes.Length;
            }
            if (close)
                unit.File?.Dispose();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            failed = true;
            unit.File?.Dispose();
            log.Warning("Step logs of this run are no longer written to {0}: {1}", folder, e.Message);
        }
    }

    private sealed class UnitLog(string path, int attempt)
    {
        public string Path { get; } = path;
        public int Attempt { get; } = attempt;
        public StringBuilder Pending { get; } = new();
        public long Bytes { get; set; }
        public long Dropped { get; set; }
        public int Step { get; set; } = -1;
        public Microsoft.Win32.SafeHandles.SafeFileHandle? File { get; set; }
        public long Length { get; set; }
    }
}
