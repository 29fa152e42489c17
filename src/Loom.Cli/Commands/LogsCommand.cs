using System.Text;
using Loom.Actors.Persistence;
using Loom.Actors.Protocol;
using Loom.Actors.Scheduling;
using Loom.Cli.History;
using static Loom.Actors.Protocol.RunEvents;

namespace Loom.Cli.Commands;

/// <summary>
/// <c>loom logs [RUN] [JOB] [--follow]</c>: what a run's steps printed, from its step logs (<see cref="RunLogFiles"/>):
/// every job attempt in the order they started, each line prefixed with its job (<c>[build]</c>, <c>[build #2]</c> for a
/// second attempt) and each step's first line preceded by <c>[build] &gt; Title</c>, as <c>loom run --plain</c> prints them.
/// </summary>
public static class LogsCommand
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    public static async Task<int> ExecuteAsync(string[] args)
    {
        var (positional, follow, file) = Parse(args);
        var workspace = RunCommand.Workspace(Path.GetFullPath(file ?? WorkflowFiles.DefaultName));
        var runArgument = positional.Count > 0 && positional[0] != "latest" ? positional[0] : null;
        var job = positional.Count > 1 ? positional[1] : null;
        if (!RunHistory.Exists(workspace))
            throw new UsageException($"no run recorded in {RunHistory.JournalPath(workspace)} yet");
        await using var loom = await EmbeddedLoom.StartHistoryAsync(workspace);
        var journal = loom.History();
        var runs = await journal.RunsAsync();
        var run = (runArgument is null ? runs.FirstOrDefault() : runs.FirstOrDefault(r => r.RunId == runArgument))
            ?? throw new UsageException(runArgument is null ? $"no run recorded in {RunHistory.JournalPath(workspace)} yet" : $"no run '{runArgument}' in {RunHistory.JournalPath(workspace)} (see 'loom runs')");
        var events = await journal.EventsAsync(run.RunId);
        var folder = events.OfType<RunDefined>().FirstOrDefault()?.LogsFolder ?? Path.Combine(RunLock.FolderOf(workspace, run.RunId), "logs");
        var logs = new RunLogs(folder, job);
        logs.Learn(events);
        if (job is not null && !logs.KnowsJob)
            throw new UsageException($"no job '{job}' in run {run.RunId} (see 'loom show {run.RunId}')");

        var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 64 * 1024) { AutoFlush = false };
        await using (stdout)
        {
            while (true)
            {
                // Checked before reading: once the run's loom has let go, this last pass reads everything it wrote.
                var live = follow && RunLock.IsHeld(workspace, run.RunId);
                if (live && logs.HasUnknownFiles())
                    logs.Learn(await journal.EventsAsync(run.RunId));
                logs.Print(stdout, final: !live);
                await stdout.FlushAsync();
                if (!live)
                    return ExitCodes.Success;
                await Task.Delay(PollInterval);
            }
        }
    }

    private static (List<string> Positional, bool Follow, string? File) Parse(string[] args)
    {
        var positional = new List<string>();
        var follow = false;
        string? file = null;
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg is "--follow" or "-f")
                follow = true;
            else if (arg == "--file")
                file = i + 1 < args.Length ? args[++i] : throw new UsageException("--file needs a value");
            else if (arg.StartsWith("--file=", StringComparison.Ordinal))
                file = arg["--file=".Length..];
            else if (arg.StartsWith('-') && arg.Length > 1)
                throw new UsageException($"unknown option '{arg}'");
            else if (positional.Count < 2)
                positional.Add(arg);
            else
                throw new UsageException($"unexpected argument '{arg}' (loom logs [RUN] [JOB] [--follow] [--file FILE])");
        }
        return (positional, follow, file);
    }

    /// <summary>The log files of one run (or one job of it) and how far each has been printed.</summary>
    private sealed class RunLogs(string folder, string? job)
    {
        private readonly List<LogFile> files = [];
        private readonly HashSet<string> known = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> jobOfCell = new(StringComparer.Ordinal);

        public bool KnowsJob { get; private set; }

        /// <summary>Adds the attempts the events started that are not known yet, in start order.</summary>
        public void Learn(IReadOnlyList<IRunEvent> events)
        {
            foreach (var e in events)
            {
                switch (e)
                {
                    case MatrixExpanded m:
                        foreach (var cell in m.Cells)
                        {
                            jobOfCell[cell.Id] = m.JobId;
                            KnowsJob |= cell.Id == job;
                        }
                        break;
                    case JobStarted s:
                    {
                        var name = RunLogFiles.NameOf(s.JobId, s.Attempt);
                        var wanted = job is null || s.JobId == job || jobOfCell.GetValueOrDefault(s.JobId) == job;
                        if (wanted && known.Add(name))
                            files.Add(new LogFile(Path.Combine(folder, name), s.Attempt > 1 ? $"[{s.JobId} #{s.Attempt}]" : $"[{s.JobId}]"));
                        break;
                    }
                    case RunStarted started:
                        KnowsJob |= job is not null && started.Jobs.Contains(job);
                        break;
                }
            }
        }

        /// <summary>Whether the folder holds a log of an attempt the events read so far did not start.</summary>
        public bool HasUnknownFiles()
        {
            if (!Directory.Exists(folder))
                return false;
            foreach (var path in Directory.EnumerateFiles(folder, "*.log"))
                if (!known.Contains(Path.GetFileName(path)))
                    return true;
            return false;
        }

        /// <param name="final">Print a last line that has no line end yet too: nothing more will be written.</param>
        public void Print(TextWriter output, bool final)
        {
            foreach (var file in files)
                file.Print(output, final);
        }
    }

    private sealed class LogFile(string path, string label)
    {
        private long offset;

        public void Print(TextWriter output, bool final)
        {
            string text;
            try
            {
                using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                if (stream.Length <= offset)
                    text = "";
                else
                {
                    stream.Position = offset;
                    var bytes = new byte[stream.Length - offset];
                    stream.ReadExactly(bytes);
                    // Cut at the last line end so a character split across two writes is never decoded in halves.
                    var end = final ? bytes.Length : Array.LastIndexOf(bytes, (byte)'\n') + 1;
                    offset += end;
                    text = Encoding.UTF8.GetString(bytes, 0, end);
                }
            }
            catch (FileNotFoundException)
            {
                // The attempt printed nothing (yet).
                return;
            }
            catch (DirectoryNotFoundException)
            {
                return;
            }
            var start = 0;
            for (var newline = text.IndexOf('\n'); newline >= 0; newline = text.IndexOf('\n', start))
            {
                Line(output, text[start..newline]);
                start = newline + 1;
            }
            // Only a last pass reads a line without its end (a loom killed mid-write).
            if (start < text.Length)
                Line(output, text[start..]);
        }

        private void Line(TextWriter output, string line)
        {
            output.Write(label);
            output.Write(' ');
            output.WriteLine(RunLogFiles.TryReadHeader(line, out _, out var title) ? "> " + title
                : RunLogFiles.TryReadAnnotation(line, out var annotation) ? $"{annotation.Level}: {annotation.Message}"
                : line);
        }
    }
}
