using Loom.Actors.Tests.Persistence;
using Xunit.Abstractions;

namespace Loom.Cluster.Tests.Support;

/// <summary>
/// What the real-process tests share: a folder of their own, the processes they start (stopped at the end, what each
/// printed on stderr written to the test's output) and a throwaway database, all removed afterwards.
/// </summary>
public abstract class ProcessTests(ITestOutputHelper output, string folderPrefix) : IAsyncLifetime
{
    protected readonly ITestOutputHelper output = output;
    protected readonly string folder = Directory.CreateTempSubdirectory(folderPrefix).FullName;
    protected readonly List<ServeProcess> processes = [];
    protected TestPostgres? database;

    public Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        foreach (var process in processes)
        {
            if (process.Lines.Count > 0)
                output.WriteLine($"--- pid {process.Pid}\n{process.Stderr}");
            process.Dispose();
        }
        if (database is not null)
            await database.DisposeAsync();
        Directory.Delete(folder, recursive: true);
    }
}
