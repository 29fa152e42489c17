namespace Loom.Actors.Running;

/// <summary>
/// The per-job files behind <c>$LOOM_OUTPUT</c>, <c>$LOOM_ENV</c>, <c>$LOOM_PATH</c> and
/// <c>$LOOM_STEP_SUMMARY</c>, in a private folder outside the workspace, removed when the job ends.
/// </summary>
public sealed class JobFiles : IDisposable
{
    private JobFiles(string directory)
    {
        Directory = directory;
        Output = Touch("output");
        Env = Touch("env");
        Path = Touch("path");
        StepSummary = Touch("summary.md");
    }

    public string Directory { get; }
    public string Output { get; }
    public string Env { get; }
    public string Path { get; }
    public string StepSummary { get; }

    /// <summary>A fresh folder inside the private (0700) folder that also holds step scripts.</summary>
    public static JobFiles Create()
    {
        var directory = System.IO.Path.Join(Execution.ScriptFiles.Directory, $"job-{Random.Shared.NextInt64():x16}");
        System.IO.Directory.CreateDirectory(directory);
        return new JobFiles(directory);
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Already gone, or a step left something busy in it: nothing of value is lost.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private string Touch(string name)
    {
        var file = System.IO.Path.Combine(Directory, name);
        File.WriteAllBytes(file, []);
        return file;
    }
}
