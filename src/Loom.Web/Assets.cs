using System.Formats.Tar;
using System.IO.Compression;

namespace Loom.Web;

/// <summary>The pages' files, compiled into this assembly: nothing is read from disk or fetched at run time.</summary>
internal static class Assets
{
    private static readonly Dictionary<string, byte[]?> Cache = new(StringComparer.Ordinal);

    /// <summary>The browser bundle of the npm package <c>@dagrejs/dagre</c>, as its tarball (vendor/dagre.tgz) holds it.</summary>
    public const string DagreFile = "dagre.js";

    private const string DagreEntry = "package/dist/dagre.min.js";

    /// <summary>A file of Assets/ (or <see cref="DagreFile"/>); null for any other name.</summary>
    public static byte[]? Get(string name)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(name, out var bytes))
                Cache[name] = bytes = name == DagreFile ? Dagre() : Resource("Loom.Web.Assets." + name);
            return bytes;
        }
    }

    public static string ContentType(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        _ => "application/octet-stream",
    };

    private static byte[]? Resource(string name)
    {
        using var stream = typeof(Assets).Assembly.GetManifestResourceStream(name);
        if (stream is null)
            return null;
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }

    /// <summary>Reads <see cref="DagreEntry"/> out of the embedded tarball.</summary>
    internal static byte[] Dagre()
    {
        using var stream = typeof(Assets).Assembly.GetManifestResourceStream("Loom.Web.dagre.tgz")
            ?? throw new InvalidOperationException("resource Loom.Web.dagre.tgz is missing from Loom.Web");
        using var gzip = new GZipStream(stream, CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        while (tar.GetNextEntry() is { } entry)
        {
            if (entry.Name != DagreEntry || entry.DataStream is null)
                continue;
            using var memory = new MemoryStream();
            entry.DataStream.CopyTo(memory);
            return memory.ToArray();
        }
        throw new InvalidOperationException($"vendor/dagre.tgz holds no {DagreEntry}");
    }
}
