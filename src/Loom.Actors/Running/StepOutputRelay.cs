using Akka.Actor;
using Loom.Actors.Protocol;
using Loom.Core.Runtime;

namespace Loom.Actors.Running;

/// <summary>
/// Takes one step's lines on its output thread: workflow commands are acted on, every text is masked,
/// and what is left goes to the scheduler. Remembers whether a line failed the step (a disabled command).
/// Lines that come before the runner has announced the step (<see cref="Announced"/>) wait, so that the
/// scheduler hears of the step first.
/// </summary>
internal sealed class StepOutputRelay(IActorRef scheduler, string jobId, int step, SecretMasker masker)
{
    private readonly StepOutputProcessor processor = new(masker);
    private readonly Lock gate = new();
    private List<string>? early = [];
    private volatile bool failedStep;
    private string? group;

    public bool FailedStep => failedStep;

    /// <summary>True while no line waits for <see cref="Announced"/>.</summary>
    public bool NothingHeld
    {
        get
        {
            lock (gate)
                return early is { Count: 0 };
        }
    }

    /// <summary>The runner has told the scheduler the step started: lines held until now go, in order, and the next ones at once.</summary>
    public void Announced()
    {
        lock (gate)
        {
            var held = early!;
            early = null;
            foreach (var raw in held)
                Send(raw);
        }
    }

    public void Relay(string raw)
    {
        lock (gate)
        {
            if (early is not null)
            {
                early.Add(raw);
                return;
            }
            Send(raw);
        }
    }

    private void Send(string raw)
    {
        var line = processor.Process(raw);
        if (line.FailsStep)
            failedStep = true;
        switch (line.Kind)
        {
            case StepLineKind.Text:
                scheduler.Tell(new SchedulerProtocol.StepOutput(jobId, step, line.Text, group));
                break;
            case StepLineKind.GroupStart:
                scheduler.Tell(new SchedulerProtocol.StepOutput(jobId, step, "▸ " + line.Text));
                group = line.Text;
                break;
            case StepLineKind.GroupEnd:
                group = null;
                break;
            case StepLineKind.Annotation when line.Annotation is { } a:
                scheduler.Tell(new SchedulerProtocol.Annotation(jobId, step, a.Level.ToString().ToLowerInvariant(), a.Message, a.File, a.Line, a.Column, a.Title));
                break;
        }
    }
}
