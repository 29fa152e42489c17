using System.Runtime.Versioning;
using Loom.Core.Workspaces;

namespace Loom.Core.Tests.Workspaces;

/// <summary>A real folder for one test, deleted afterwards (folders a test made read-only included).</summary>
[UnsupportedOSPlatform("windows")]
public sealed class WorkspaceTree : IDisposable
{
    public const UnixFileMode Executable = (UnixFileMode)0x1ED; // rwxr-xr-x
    public const UnixFileMode Plain = (UnixFileMode)0x1A4; // rw-r--r--, whatever the umask

    public string Root { get; } = Directory.CreateTempSubdirectory("loom-ws-").FullName;

    public string PathOf(string relativePath) => Path.Combine(Root, relativePath);

    public WorkspaceTree Write(string relativePath, string content) => Write(relativePath, System.Text.Encoding.UTF8.GetBytes(content));

    public WorkspaceTree Write(string relativePath, byte[] content)
    {
        var path = PathOf(relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        File.SetUnixFileMode(path, Plain);
        return this;
    }

    public WorkspaceTree Link(string relativePath, string target)
    {
        var path = PathOf(relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.CreateSymbolicLink(path, target);
        return this;
    }

    /// <summary>Every file, link and folder below the root, '/'-separated and sorted: a link as "path -> target", a file with its mode and bytes.</summary>
    public IReadOnlyList<string> Describe()
    {
        var lines = new List<string>();
        foreach (var entry in new DirectoryInfo(Root).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            var path = Path.GetRelativePath(Root, entry.FullName).Replace('\\', '/');
            lines.Add(entry.LinkTarget is { } target ? $"{path} -> {target}"
                : entry is DirectoryInfo ? $"{path}/"
                : $"{path} {entry.UnixFileMode} {Convert.ToHexString(File.ReadAllBytes(entry.FullName))}");
        }
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    public void Dispose()
    {
        foreach (var folder in Directory.EnumerateDirectories(Root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            if (new DirectoryInfo(folder).LinkTarget is null)
                File.SetUnixFileMode(folder, Executable);
        }
        Directory.Delete(Root, recursive: true);
    }
}

/// <summary>Blobs in memory, counting what was asked of it.</summary>
public sealed class MemoryBlobSource : IBlobSource
{
    private readonly Dictionary<string, byte[]> blobs = new(StringComparer.Ordinal);

    public int Opened { get; private set; }

    public string Add(byte[] content)
    {
        var hash = BlobHash.Of(content);
        blobs[hash] = content;
        return hash;
    }

    /// <summary>Every file of a scanned tree, read from the tree.</summary>
    public static MemoryBlobSource Of(WorkspaceManifest manifest, string root)
    {
        var source = new MemoryBlobSource();
        foreach (var file in manifest.Files)
            source.Add(File.ReadAllBytes(Path.Combine(root, file.Path)));
        return source;
    }

    /// <summary>Replaces a blob's bytes, as a damaged store would.</summary>
    public void Damage(string hash) => blobs[hash] = [.. blobs[hash], 0];

    public Task<Stream> OpenReadAsync(string hash, CancellationToken cancellationToken)
    {
        lock (blobs)
            Opened++;
        return blobs.TryGetValue(hash, out var content)
            ? Task.FromResult<Stream>(new MemoryStream(content, writable: false))
            : Task.FromException<Stream>(new BlobMissingException(hash));
    }
}
