namespace Loom.Cli.Tests;

/// <summary>A temporary folder holding one workflow; removed after the test.</summary>
public sealed class Workspace : IDisposable
{
    public Workspace(string yaml, string fileName = ".loom.yml")
    {
        Root = Directory.CreateTempSubdirectory("loom-cli-").FullName;
        File.WriteAllText(Path.Combine(Root, fileName), yaml);
    }

    public string Root { get; }

    public string PathOf(string name) => Path.Combine(Root, name);

    public string Read(string name) => File.ReadAllText(PathOf(name));

    public bool Exists(string name) => File.Exists(PathOf(name));

    public async Task WaitForFileAsync(string name)
    {
        var deadline = DateTime.UtcNow + LoomProcess.Patience;
        while (!Exists(name) || new FileInfo(PathOf(name)).Length == 0)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{name} never appeared in {Root}");
            await Task.Delay(20);
        }
    }

    public static bool ProcessAlive(int pid)
    {
        var stat = $"/proc/{pid}/stat";
        try
        {
            var text = File.ReadAllText(stat);
            return text[(text.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    public static async Task WaitUntilGoneAsync(int pid)
    {
        var deadline = DateTime.UtcNow + LoomProcess.Patience;
        while (ProcessAlive(pid))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"process {pid} is still alive");
            await Task.Delay(20);
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
