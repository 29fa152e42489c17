using static Loom.Actors.Execution.FileSystemPaths;

namespace Loom.Actors.Running;

/// <summary>
/// The per-job files behind <c>$LOOM_OUTPUT</c>, <c>$LOOM_ENV</c>, <c>$LOOM_PATH</c> and
/// <c>$LOOM_STEP_SUMMARY</c>, in a private folder outside the workspace. Every job starts with
/// the four files existing and empty. Taken from a run's <see cref="JobFilesPool"/>: disposing
/// hands the folder back for a later job of the run (or removes it), so a run creates about as
/// many folders as it runs jobs at once, not one per job.
/// </summary>
public sealed class JobFiles : IDisposable
{
    private readonly JobFilesPool? pool;
    private int disposed;

    private JobFiles(string directory, JobFilesPool? pool)
    {
        this.pool = pool;
        Directory = directory;
        Output = Touch("output");
        Env = Touch("env");
        Path = Touch("path");
        StepSummary = Touch("summary.md");
    }

    // The same folder for its next job: a new holder, so a stale one can never hand it back twice.
    private JobFiles(JobFiles previous)
    {
        pool = previous.pool;
        Directory = previous.Directory;
        Output = previous.Output;
        Env = previous.Env;
        Path = previous.Path;
        StepSummary = previous.StepSummary;
    }

    public string Directory { get; }
    public string Output { get; }
    public string Env { get; }
    public string Path { get; }
    public string StepSummary { get; }

    /// <summary>A fresh folder, not pooled: disposing removes it.</summary>
    public static JobFiles Create() => Create(null);

    /// <summary>A fresh folder inside the private (0700) folder that also holds step scripts.</summary>
    internal static JobFiles Create(JobFilesPool? pool)
    {
        var directory = System.IO.Path.Join(Execution.ScriptFiles.Directory, $"job-{Random.Shared.NextInt64():x16}");
        System.IO.Directory.CreateDirectory(directory);
        try
        {
            return new JobFiles(directory, pool);
        }
        catch
        {
            Remove(directory);
            throw;
        }
    }

    /// <summary>Hands the folder back to its pool, or removes it. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
            return;
        if (pool is null)
            Delete();
        else
            pool.Return(this);
    }

    /// <summary>Removes the folder instead of handing it back: for a job whose step was killed and may still be writing.</summary>
    public void Discard()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0)
            Delete();
    }

    /// <summary>
    /// Whether the next job can take this folder as it is: all four files still empty regular files
    /// that their owner can read and write. Anything a job wrote, replaced or removed makes the
    /// folder go. Files a runner read and emptied after each step count as empty.
    /// </summary>
    internal bool IsPristine() =>
        IsEmptyReadWriteFile(Output) && IsEmptyReadWriteFile(Env) && IsEmptyReadWriteFile(Path) && IsEmptyReadWriteFile(StepSummary);

    /// <summary>Removes the folder: its four files, then itself; everything in it only when a step left more there.</summary>
    internal void Delete()
    {
        try
        {
            // Not a recursive removal at once: that enumerates the folder, and its first call in a process costs milliseconds.
            foreach (var file in (ReadOnlySpan<string>)[Output, Env, Path, StepSummary])
                File.Delete(file);
            System.IO.Directory.Delete(Directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Remove(Directory);
        }
    }

    internal JobFiles Reopened() => new(this);

    private static void Remove(string directory)
    {
        try
        {
            System.IO.Directory.Delete(directory, recursive: true);
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

/// <summary>
/// One run's job folders. Creating and removing a folder of four files for every job cost more
/// than starting the job's process (ext4 inode churn, about 0.2 ms a job); a job that left its
/// files empty hands its folder to the next job instead. Thread-safe: runners return folders
/// from their own threads, possibly after the run ended. <see cref="Dispose"/> (when the run
/// ends) removes the idle folders and every folder returned afterwards.
/// </summary>
public sealed class JobFilesPool : IDisposable
{
    private readonly Lock gate = new();
    private readonly Stack<JobFiles> idle = new();
    private bool closed;

    /// <summary>Folders waiting for a job (for tests).</summary>
    internal int IdleCount
    {
        get
        {
            lock (gate)
                return idle.Count;
        }
    }

    /// <summary>A folder whose four files exist and are empty; dispose it when the job ends.</summary>
    public JobFiles Rent()
    {
        lock (gate)
        {
            // Once closed nothing is idle: a late job gets a folder removed when it gives it back.
            if (idle.TryPop(out var files))
                return files;
        }
        return JobFiles.Create(this);
    }

    /// <summary>Removes the idle folders; folders still out are removed when they come back.</summary>
    public void Dispose()
    {
        JobFiles[] remove;
        lock (gate)
        {
            closed = true;
            remove = idle.ToArray();
            idle.Clear();
        }
        foreach (var files in remove)
            files.Delete();
    }

    internal void Return(JobFiles files)
    {
        if (files.IsPristine())
        {
            lock (gate)
            {
                if (!closed)
                {
                    idle.Push(files.Reopened());
                    return;
                }
            }
        }
        files.Delete();
    }
}
