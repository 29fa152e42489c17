using Loom.Core.Runtime;

namespace Loom.Actors.Running;

/// <summary>
/// Reads and empties what each step wrote to the job's command files (see <see cref="StepFileReader"/>),
/// so every step starts with empty files, as in GitHub, and the folder stays fit for a later job.
/// A step that wrote nothing costs one stat per file.
/// </summary>
internal sealed class JobFileReader(JobFiles files)
{
    /// <exception cref="InvalidDataException">A step wrote more than <see cref="StepFileReader.DefaultMaxBytes"/> to one file.</exception>
    public Appended ReadAppended() => new(Read(files.Output), Read(files.Env), Read(files.Path), Read(files.StepSummary));

    private static string? Read(string file)
    {
        try
        {
            return Execution.FileSystemPaths.IsNonEmptyFile(file) ? StepFileReader.ReadAndClear(file) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A step that removed or replaced its file: nothing to read, as with GitHub's runner.
            return null;
        }
    }

    public readonly record struct Appended(string? Output, string? Env, string? Path, string? Summary);
}
