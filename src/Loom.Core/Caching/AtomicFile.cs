namespace Loom.Core.Caching;

/// <summary>
/// Writes a file so that no reader, in this process or another, ever sees part of it: the content goes to a temporary
/// file in the same folder, is flushed to disk, and is renamed over the target in one step. Two writers of the same
/// target both succeed; the last rename wins.
/// </summary>
internal static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        var temporary = TemporaryBeside(path);
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary); // gone already after a successful move
        }
    }

    /// <summary>A fresh name in <paramref name="path"/>'s folder, hidden and ending in <c>.tmp</c>, unique across processes.</summary>
    public static string TemporaryBeside(string path) =>
        Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
}
