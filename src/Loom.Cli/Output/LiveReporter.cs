using System.Text;
using Loom.Actors.Protocol;
using Loom.Core.Model;
using static Loom.Actors.Protocol.RunEvents;

namespace Loom.Cli.Output;

/// <summary>
/// The terminal view: step output scrolls by, prefixed with its job in a stable colour, above a
/// block of the running jobs (state, duration, step) that is redrawn in place at most 10 times a
/// second, and a summary table at the end.
/// </summary>
public sealed class LiveReporter : IRunReporter
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);
    private readonly TextWriter output;
    private readonly Style style;
    private readonly RunTally tally = new();
    private readonly List<string> pending = [];
    private readonly Lock gate = new();
    private readonly Timer ticker;
    private DateTime lastDraw = DateTime.MinValue;
    private int blockHeight;
    private bool finished;

    public LiveReporter(TextWriter output, Style style)
    {
        this.output = output;
        this.style = style;
        output.Write("\e[?25l");
        // Durations move even when nothing happens: redraw on a steady beat too.
        ticker = new Timer(_ => Flush(), null, Interval * 5, Interval * 5);
    }

    /// <summary>How many times the block was drawn; the view promises at most 10 a second.</summary>
    public int Redraws { get; private set; }

    public void Handle(IRunNotification notification)
    {
        lock (gate)
        {
            tally.Apply(notification);
            switch (notification)
            {
                case OutputLine { Group: not null }:
                    // Folded: the group's header line was shown; its lines are in --plain, --json and the logs.
                    break;
                case OutputLine o:
                    pending.Add($"{Prefix(o.JobId)} {o.Line}");
                    break;
                case Annotation a:
                    pending.Add($"{Prefix(a.JobId)} {style.Result(a.Level == "error" ? Result.Failure : Result.Cancelled, a.Level)}: {a.Message}");
                    break;
                case JobCarried c:
                    pending.Add($"{Prefix(c.JobId)} {style.Result(c.Result, c.Result.ToWire())}: carried from run {c.FromRunId}");
                    break;
                case JobInterrupted i:
                    pending.Add($"{Prefix(i.JobId)} {style.Result(Result.Cancelled, "interrupted")}: attempt {i.Attempt} died with its loom; running it again");
                    break;
                case JobFinished { Retrying: true } f:
                    pending.Add($"{Prefix(f.JobId)} {style.Result(Result.Failure, "attempt failed")}{(f.Error is null ? "" : $" {f.Error}")}; retrying in {Style.Duration(f.RetryDelay)}");
                    break;
                case StepFinished s when s.Outcome == Result.Failure:
                    pending.Add($"{Prefix(s.JobId)} {style.Result(Result.Failure, $"step {s.Step + 1} failed")}{(s.Error ?? (s.ExitCode is { } code ? $" (exit code {code})" : ""))}");
                    break;
                case JobFinished { CachedFrom: { } source } f:
                    pending.Add($"{Prefix(f.JobId)} {style.Result(f.Result, "cached")} {style.Dim($"from run {source}")}");
                    break;
                case JobFinished f:
                    pending.Add($"{Prefix(f.JobId)} {style.Result(f.Result, Style.Symbol(f.Result))} {style.Dim(Style.Duration(f.Duration))}{(f.Error is null ? "" : $" {f.Error}")}");
                    break;
                case JobSkipped s:
                    pending.Add($"{Prefix(s.JobId)} {style.Result(s.Result, s.Result.ToWire())}: {s.Reason}");
                    break;
                case RunCancelling c:
                    pending.Add(style.Result(Result.Cancelled, $"cancelling: {c.Reason}"));
                    break;
                case WorkflowChanged w:
                    pending.Add(style.Dim($"{w.Path} changed; this run goes on with the version it started with"));
                    break;
                case RunFinished:
                    finished = true;
                    break;
            }
        }
    }

    public void Flush()
    {
        lock (gate)
        {
            if (finished)
                return;
            var now = DateTime.UtcNow;
            if (now - lastDraw < Interval)
                return;
            lastDraw = now;
            Draw(block: true);
        }
    }

    private bool disposed;

    /// <summary>Draws the last frame and the summary, once (<c>loom run --ui</c> ends the view before it waits for Ctrl-C).</summary>
    public async ValueTask DisposeAsync()
    {
        if (disposed)
            return;
        disposed = true;
        await ticker.DisposeAsync();
        lock (gate)
        {
            Draw(block: false);
            Summary.Write(output, tally, style);
            output.Write("\e[?25h");
            output.Flush();
        }
    }

    private void Draw(bool block)
    {
        var frame = new StringBuilder();
        // Erase the old block a line at a time from its bottom, not with "erase below" from its
        // top: a block that starts at the top of the screen would then be erased as a whole screen,
        // which tmux (and others) keep in the scrollback, stale block and all.
        if (blockHeight > 0)
            frame.Append('\r');
        for (var i = 0; i < blockHeight; i++)
            frame.Append("\e[1A\e[2K");
        foreach (var line in pending)
            frame.Append(line).Append('\n');
        pending.Clear();
        blockHeight = 0;
        if (block && tally.Started is not null)
            AppendBlock(frame);
        output.Write(frame);
        output.Flush();
        Redraws++;
    }

    private void AppendBlock(StringBuilder frame)
    {
        var width = TerminalWidth();
        var now = DateTimeOffset.UtcNow;
        var jobs = tally.Jobs;
        int done = 0, running = 0, queued = 0, failed = 0;
        foreach (var job in jobs)
        {
            switch (job.State)
            {
                case JobLineState.Done:
                    done++;
                    if (job.Result == Result.Failure)
                        failed++;
                    break;
                case JobLineState.Running:
                    running++;
                    break;
                case JobLineState.Queued:
                    queued++;
                    break;
            }
        }
        var elapsed = now - tally.Started!.At;
        var header = $"{done}/{jobs.Count} done, {running} running, {queued} queued{(failed > 0 ? $", {failed} failed" : "")} - {Style.Duration(elapsed)}";
        AppendLine(frame, style.Bold(header), header.Length, width);
        var room = Math.Max(3, TerminalHeight() - 4);
        var shown = 0;
        foreach (var job in jobs)
        {
            if (job.State != JobLineState.Running)
                continue;
            if (shown == room)
            {
                var more = $"  ... and {running - shown} more running";
                AppendLine(frame, style.Dim(more), more.Length, width);
                break;
            }
            var duration = Style.Duration(now - (job.StartedAt ?? now));
            var plain = $"  * {job.Label} {duration} {job.Step}";
            var fitted = Fit(plain, width);
            var painted = $"  {style.Job(job.Id, "*")} {style.Job(job.Id, job.Label)} {style.Dim(duration)} {job.Step}";
            AppendLine(frame, fitted.Length < plain.Length ? fitted : painted, fitted.Length, width);
            shown++;
        }
    }

    private void AppendLine(StringBuilder frame, string text, int visibleLength, int width)
    {
        // A line wider than the terminal would wrap and break the cursor arithmetic.
        frame.Append(visibleLength <= width ? text : Fit(text, width)).Append('\n');
        blockHeight++;
    }

    private static string Fit(string text, int width) => text.Length < width ? text : text[..Math.Max(0, width - 1)];

    private string Prefix(string jobId)
    {
        var attempt = tally.TryGet(jobId)?.Attempt ?? 1;
        return style.Job(jobId, attempt > 1 ? $"[{jobId} #{attempt}]" : $"[{jobId}]");
    }

    private static int TerminalWidth()
    {
        try
        {
            return Math.Max(20, Console.WindowWidth);
        }
        catch (IOException)
        {
            return 80;
        }
    }

    private static int TerminalHeight()
    {
        try
        {
            return Math.Max(8, Console.WindowHeight);
        }
        catch (IOException)
        {
            return 24;
        }
    }
}
