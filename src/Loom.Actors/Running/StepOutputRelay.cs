using Akka.Actor;
using Loom.Actors.Protocol;
using Loom.Core.Runtime;

namespace Loom.Actors.Running;

/// <summary>
/// Takes one step's lines on its output thread: workflow commands are acted on, every text is masked,
/// and what is left goes to the scheduler. Remembers whether a line failed the step (a disabled command).
/// </summary>
internal sealed class StepOutputRelay(IActorRef scheduler, string jobId, int step, SecretMasker masker)
{
    private readonly StepOutputProcessor processor = new(masker);
    private volatile bool failedStep;
    private string? group;

    public bool FailedStep => failedStep;

    public void Relay(string raw)
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
