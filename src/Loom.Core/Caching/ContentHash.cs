using System.Security.Cryptography;

namespace Loom.Core.Caching;

/// <summary>A file's SHA-256 (lowercase hex) and the number of bytes it was computed over.</summary>
internal readonly record struct ContentHash(string Hex, long Length)
{
    private const int BufferSize = 81920;

    /// <summary>Hashes <paramref name="source"/> to its end, copying it to <paramref name="copy"/> on the way when one is given.</summary>
    public static ContentHash Of(Stream source, Stream? copy = null)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[BufferSize];
        long length = 0;
        int read;
        while ((read = source.Read(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            copy?.Write(buffer, 0, read);
            length += read;
        }
        return new ContentHash(Convert.ToHexStringLower(hash.GetHashAndReset()), length);
    }

    public static ContentHash OfFile(string path)
    {
        using var stream = OpenRead(path);
        return Of(stream);
    }

    /// <summary>Opens for reading without stopping another process from replacing or deleting the file meanwhile.</summary>
    public static FileStream OpenRead(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
}
