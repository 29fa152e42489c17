namespace Loom.Core.Runtime;

/// <summary>
/// Reads one step's output line by line and acts on workflow commands as GitHub's runner does
/// (ActionCommandManager). Not thread-safe: use one per step and feed it the lines in order (stdout and
/// stderr merged, without line terminators). Masks are added to the shared <see cref="SecretMasker"/>, so
/// they apply to the rest of this step's output and to later steps.
/// </summary>
public sealed class StepOutputProcessor(SecretMasker masker)
{
    private const string StopCommand = "stop-commands";

    /// <summary>Every name that is a command; anything else in <c>::x::</c> form is printed as text.</summary>
    private static readonly HashSet<string> Known = new(StringComparer.OrdinalIgnoreCase)
    {
        "add-mask", "error", "warning", "notice", "debug", "group", "endgroup", StopCommand,
        "set-output", "save-state", "set-env", "add-path", "echo", "add-matcher", "remove-matcher",
    };

    private string? stopToken;

    public StepLine Process(string line)
    {
        var isCommand = WorkflowCommand.TryParse(line, out var command);
        if (stopToken is not null)
        {
            if (isCommand && command!.Is(stopToken))
                stopToken = null;
            return Shown(line);
        }
        if (!isCommand || !Known.Contains(command!.Name))
            return Shown(line);

        return command.Name.ToLowerInvariant() switch
        {
            "add-mask" => AddMask(command.Message),
            "error" => Annotated(AnnotationLevel.Error, command),
            "warning" => Annotated(AnnotationLevel.Warning, command),
            "notice" => Annotated(AnnotationLevel.Notice, command),
            "debug" => new StepLine(StepLineKind.Debug, masker.Mask(command.Message)),
            "group" => new StepLine(StepLineKind.GroupStart, masker.Mask(command.Message)),
            "endgroup" => new StepLine(StepLineKind.GroupEnd, ""),
            StopCommand => StopCommands(line, command.Message),
            "set-env" or "add-path" => StepLine.Problem(AnnotationLevel.Error,
                $"The `{command.Name}` command is disabled, as in GitHub Actions. Append to $LOOM_{(command.Is("add-path") ? "PATH" : "ENV")} instead.",
                failsStep: true),
            "set-output" => StepLine.Problem(AnnotationLevel.Warning,
                "The `set-output` command is deprecated and Loom ignores it. Append to $LOOM_OUTPUT instead."),
            "save-state" => StepLine.Problem(AnnotationLevel.Warning,
                "The `save-state` command is deprecated and Loom ignores it: Loom runs no actions, so there is no post step to read state."),
            _ => new StepLine(StepLineKind.Debug, $"Loom does not support the `{command.Name}` command; ignored."),
        };
    }

    private StepLine Shown(string line) => new(StepLineKind.Text, masker.Mask(line));

    private StepLine Annotated(AnnotationLevel level, WorkflowCommand command)
    {
        var annotation = Annotation.FromCommand(level, command, masker);
        return new StepLine(StepLineKind.Annotation, annotation.Message) { Annotation = annotation };
    }

    private StepLine AddMask(string value)
    {
        if (string.IsNullOrWhiteSpace(value))
            return StepLine.Problem(AnnotationLevel.Warning, "Can't add secret mask for empty string in ::add-mask:: command.");
        masker.Add(value);
        return StepLine.Hidden with { NewMask = value };
    }

    /// <summary>
    /// The runner refuses a token that is empty, "pause-logging" or a command name (it would be resumed
    /// by that command), and masks tokens longer than 6 characters so a script cannot learn them from the
    /// log. The stop and resume lines themselves are printed.
    /// </summary>
    private StepLine StopCommands(string line, string token)
    {
        if (token.Length == 0 || Known.Contains(token) || token.Equals("pause-logging", StringComparison.OrdinalIgnoreCase))
        {
            return StepLine.Problem(AnnotationLevel.Error,
                "You cannot use an endToken that is an empty string, the string 'pause-logging', or another workflow command.",
                failsStep: true);
        }
        stopToken = token;
        if (token.Length <= 6)
            return Shown(line);
        masker.Add(token);
        return Shown(line) with { NewMask = token };
    }
}
