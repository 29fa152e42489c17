using Loom.Actors.Protocol;
using Loom.Core.Model;
using static Loom.Actors.Protocol.RunEvents;

namespace Loom.Cli.Output;

/// <summary>One line per state change and per output line, each prefixed with its job: for logs and pipes.</summary>
public sealed class PlainReporter(TextWriter output, Style style) : IRunReporter
{
    private readonly RunTally tally = new();

    public void Handle(IRunNotification notification)
    {
        tally.Apply(notification);
        switch (notification)
        {
            case RunStarted s:
                output.WriteLine($"run {s.RunId}: {s.Workflow}, {s.Jobs.Count} jobs, up to {s.MaxParallel} at once");
                break;
            case JobStarted s:
                output.WriteLine($"{Prefix(s.JobId)} started{(s.Title is { } title && title != s.JobId ? $": {title}" : "")}{(s.Attempt > 1 ? $" (attempt {s.Attempt})" : "")}");
                break;
            case MatrixExpanded m:
                output.WriteLine($"[{m.JobId}] matrix of {m.Cells.Count}: {string.Join(", ", m.Cells.Select(c => c.Id))}");
                break;
            case JobCancelling c:
                output.WriteLine($"{Prefix(c.JobId)} cancelling: {c.Reason}");
                break;
            case JobCarried c:
                output.WriteLine($"{Prefix(c.JobId)} {style.Result(c.Result, c.Result.ToWire())}: carried from run {c.FromRunId}");
                break;
            case JobInterrupted i:
                output.WriteLine($"{Prefix(i.JobId)} {style.Result(Result.Cancelled, "interrupted")}: attempt {i.Attempt} died with its loom; running it again");
                break;
            case Annotation a:
                output.WriteLine($"{Prefix(a.JobId)} {style.Result(a.Level == "error" ? Result.Failure : Result.Cancelled, a.Level)}: {a.Message}");
                break;
            case JobFinished { Retrying: true } f:
                output.WriteLine($"{Prefix(f.JobId)} {style.Result(Result.Failure, "attempt failed")}{(f.Error is null ? "" : $": {f.Error}")}; retrying in {Style.Duration(f.RetryDelay)}");
                break;
            case StepStarted s:
                output.WriteLine($"{Prefix(s.JobId)} {style.Dim($"> {s.Title}")}");
                break;
            case OutputLine o:
                output.Write(Prefix(o.JobId));
                output.Write(' ');
                output.WriteLine(o.Line);
                break;
            case StepFinished s when s.Outcome == Result.Failure:
                output.WriteLine($"{Prefix(s.JobId)} {style.Result(Result.Failure, $"step {s.Step + 1} failed")}{Detail(s.ExitCode, s.Error)}{(s.Conclusion == Result.Success ? " (continue-on-error)" : "")}");
                break;
            case JobSkipped s:
                output.WriteLine($"{Prefix(s.JobId)} {style.Result(s.Result, s.Result.ToWire())}: {s.Reason}");
                break;
            case JobFinished { CachedFrom: { } source } f:
                output.WriteLine($"{Prefix(f.JobId)} {style.Result(f.Result, "cached")} (from run {source}) in {Style.Duration(f.Duration)}");
                break;
            case JobFinished f:
                output.WriteLine($"{Prefix(f.JobId)} {style.Result(f.Result, f.Result.ToWire())} in {Style.Duration(f.Duration)}{(f.Error is null ? "" : $": {f.Error}")}");
                break;
            case RunCancelling c:
                output.WriteLine($"cancelling the run: {c.Reason}");
                break;
            case WorkflowChanged w:
                output.WriteLine($"{w.Path} changed; this run goes on with the version it started with");
                break;
            case RunFinished:
                Summary.Write(output, tally, style);
                break;
        }
    }

    public void Flush() => output.Flush();

    public ValueTask DisposeAsync()
    {
        output.Flush();
        return ValueTask.CompletedTask;
    }

    /// <summary>The job's label; a retried job's lines say which attempt printed them.</summary>
    private string Prefix(string jobId)
    {
        var attempt = tally.TryGet(jobId)?.Attempt ?? 1;
        return style.Job(jobId, attempt > 1 ? $"[{jobId} #{attempt}]" : $"[{jobId}]");
    }

    private static string Detail(int? exitCode, string? error) =>
        error is not null ? $": {error}" : exitCode is { } code ? $" (exit code {code})" : "";
}
