namespace Loom.Core.Tests.Caching;

/// <summary>A real folder for one test, deleted afterwards.</summary>
public sealed class TempWorkspace : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("loom-cache-").FullName;

    public string PathOf(string relativePath) => Path.Combine(Root, relativePath);

    public void Write(string relativePath, string content)
    {
        var path = PathOf(relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    public string Read(string relativePath) => File.ReadAllText(PathOf(relativePath));

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
