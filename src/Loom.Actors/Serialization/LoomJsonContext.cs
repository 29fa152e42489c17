using System.Text.Json.Serialization;
using Loom.Actors.Protocol;

namespace Loom.Actors.Serialization;

/// <summary>
/// Compile-time JSON metadata for every <see cref="ILoomMessage"/> that is not a journaled event (those have
/// <see cref="RunEventCodec"/>): no reflection-emitted accessors jitted at run time. A test holds this list to
/// every message type.
/// </summary>
[JsonSourceGenerationOptions(GenerationMode = JsonSourceGenerationMode.Metadata)]
[JsonSerializable(typeof(LoomProtocol.SubmitRun))]
[JsonSerializable(typeof(LoomProtocol.RunAccepted))]
[JsonSerializable(typeof(LoomProtocol.RunRejected))]
[JsonSerializable(typeof(LoomProtocol.CancelRun))]
[JsonSerializable(typeof(LoomProtocol.RunHeld))]
[JsonSerializable(typeof(LoomProtocol.RunWaiting))]
[JsonSerializable(typeof(LoomProtocol.ReleaseRun))]
[JsonSerializable(typeof(RunEvents.OutputLine))]
[JsonSerializable(typeof(RunEvents.Annotation), TypeInfoPropertyName = "EventAnnotation")]
[JsonSerializable(typeof(RunEvents.StepSummary), TypeInfoPropertyName = "EventStepSummary")]
[JsonSerializable(typeof(RunEvents.WorkflowChanged))]
[JsonSerializable(typeof(WatchProtocol.Watching))]
[JsonSerializable(typeof(WatchProtocol.CycleStarting))]
[JsonSerializable(typeof(WatchProtocol.ChangesWhileBusy))]
[JsonSerializable(typeof(WatchProtocol.WorkflowReloaded))]
[JsonSerializable(typeof(WatchProtocol.WorkflowRejected))]
[JsonSerializable(typeof(WatchProtocol.RunsForgotten))]
[JsonSerializable(typeof(WatchProtocol.WatchEnded))]
[JsonSerializable(typeof(SchedulerProtocol.Start))]
[JsonSerializable(typeof(SchedulerProtocol.Cancel))]
[JsonSerializable(typeof(SchedulerProtocol.Resume))]
[JsonSerializable(typeof(SchedulerProtocol.WorkflowFileChanged))]
[JsonSerializable(typeof(SchedulerProtocol.StepStarted), TypeInfoPropertyName = "CommandStepStarted")]
[JsonSerializable(typeof(SchedulerProtocol.StepOutput))]
[JsonSerializable(typeof(SchedulerProtocol.StepFinished), TypeInfoPropertyName = "CommandStepFinished")]
[JsonSerializable(typeof(SchedulerProtocol.JobFinished), TypeInfoPropertyName = "CommandJobFinished")]
[JsonSerializable(typeof(SchedulerProtocol.Annotation), TypeInfoPropertyName = "CommandAnnotation")]
[JsonSerializable(typeof(SchedulerProtocol.StepSummary), TypeInfoPropertyName = "CommandStepSummary")]
[JsonSerializable(typeof(SchedulerProtocol.RetryDue))]
[JsonSerializable(typeof(SchedulerProtocol.GetStatus))]
[JsonSerializable(typeof(SchedulerProtocol.RunStatus))]
[JsonSerializable(typeof(SchedulerProtocol.Advance))]
[JsonSerializable(typeof(RunnerProtocol.RunJob))]
[JsonSerializable(typeof(RunnerProtocol.CancelJob))]
[JsonSerializable(typeof(RunnerProtocol.Dispatch))]
[JsonSerializable(typeof(RunnerProtocol.Withdraw))]
[JsonSerializable(typeof(RunnerProtocol.Released))]
[JsonSerializable(typeof(SchedulerProtocol.RunnerLost))]
internal sealed partial class LoomJsonContext : JsonSerializerContext;
