using System.Text;

namespace Loom.Core.Workspaces;

/// <summary>A regular file of a workspace: its '/'-separated path, content hash (<see cref="BlobHash"/>), size and executable bit.</summary>
public sealed record ManifestFile(string Path, string Hash, long Size, bool Executable);

/// <summary>A symbolic link of a workspace, kept as a link: its path and its target's text, never followed.</summary>
public sealed record ManifestLink(string Path, string Target);

/// <summary>
/// What a cluster run's workspace holds, as <see cref="WorkspaceScanner"/> found it: files and links sorted by ordinal
/// path, and the folders no file or link implies (empty ones, or holding only what is not sent), so that a job finds every
/// folder it would find locally. Content travels apart, by hash. <see cref="ToBytes"/> is a compact, stable form for a
/// message (same manifest, same bytes), so its <see cref="BlobHash"/> can name it too.
/// </summary>
/// <param name="Folders">Folders that hold no file or link of the manifest; a folder above a file, link or listed folder is implied, not listed.</param>
public sealed record WorkspaceManifest(IReadOnlyList<ManifestFile> Files, IReadOnlyList<ManifestLink> Links, IReadOnlyList<string> Folders)
{
    private static readonly byte[] Magic = "LWM2"u8.ToArray();
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private const byte ExecutableFlag = 1;

    public static readonly WorkspaceManifest Empty = new([], [], []);

    /// <summary>The bytes of every file: what the size limit counts.</summary>
    public long TotalBytes => Files.Sum(f => f.Size);

    /// <summary>Each content hash once: what to ask a store whether it already has.</summary>
    public IReadOnlyList<string> DistinctHashes() => Files.Select(f => f.Hash).Distinct(StringComparer.Ordinal).ToArray();

    /// <summary>
    /// "LWM2", then the files in ordinal path order, each as the length of the path prefix it shares with the previous
    /// one and the rest of its UTF-8 path, its 32 hash bytes, size and flags (numbers as LEB128), then the links, then the folders.
    /// About 40 bytes a file for a typical tree; the hashes are most of it.
    /// </summary>
    public byte[] ToBytes()
    {
        var output = new MemoryStream();
        output.Write(Magic);
        WriteNumber(output, (ulong)Files.Count);
        var previous = Array.Empty<byte>();
        foreach (var file in Files.OrderBy(f => f.Path, StringComparer.Ordinal))
        {
            var path = StrictUtf8.GetBytes(file.Path);
            var shared = path.AsSpan().CommonPrefixLength(previous);
            WriteNumber(output, (ulong)shared);
            WriteNumber(output, (ulong)(path.Length - shared));
            output.Write(path.AsSpan(shared));
            output.Write(Convert.FromHexString(file.Hash));
            WriteNumber(output, (ulong)file.Size);
            output.WriteByte(file.Executable ? ExecutableFlag : (byte)0);
            previous = path;
        }
        WriteNumber(output, (ulong)Links.Count);
        foreach (var link in Links.OrderBy(l => l.Path, StringComparer.Ordinal))
        {
            WriteText(output, link.Path);
            WriteText(output, link.Target);
        }
        WriteNumber(output, (ulong)Folders.Count);
        foreach (var folder in Folders.Order(StringComparer.Ordinal))
            WriteText(output, folder);
        return output.ToArray();
    }

    /// <exception cref="InvalidDataException">The bytes are not a manifest of this format.</exception>
    public static WorkspaceManifest FromBytes(ReadOnlySpan<byte> bytes)
    {
        try
        {
            var reader = new Reader(bytes);
            if (!reader.Take(Magic.Length).SequenceEqual(Magic))
                throw new InvalidDataException("not a workspace manifest (or of another version)");
            var files = new ManifestFile[reader.Count()];
            var previous = Array.Empty<byte>();
            for (var i = 0; i < files.Length; i++)
            {
                // Not a Count(): a long shared prefix may exceed the bytes left.
                var sharedNumber = reader.Number();
                if (sharedNumber > (ulong)previous.Length)
                    throw new InvalidDataException("a path shares more than the previous path has");
                var shared = (int)sharedNumber;
                var path = new byte[shared + reader.Count()];
                previous.AsSpan(0, shared).CopyTo(path);
                reader.Take(path.Length - shared).CopyTo(path.AsSpan(shared));
                var hash = Convert.ToHexStringLower(reader.Take(32));
                var size = reader.Number();
                var flags = reader.Take(1)[0];
                if (size > long.MaxValue || flags > ExecutableFlag)
                    throw new InvalidDataException("a file's size or flags are out of range");
                files[i] = new ManifestFile(StrictUtf8.GetString(path), hash, (long)size, flags == ExecutableFlag);
                previous = path;
            }
            var links = new ManifestLink[reader.Count()];
            for (var i = 0; i < links.Length; i++)
                links[i] = new ManifestLink(reader.Text(), reader.Text());
            var folders = new string[reader.Count()];
            for (var i = 0; i < folders.Length; i++)
                folders[i] = reader.Text();
            if (!reader.AtEnd)
                throw new InvalidDataException("bytes follow the manifest");
            return new WorkspaceManifest(files, links, folders);
        }
        catch (Exception e) when (e is DecoderFallbackException or ArgumentOutOfRangeException)
        {
            throw new InvalidDataException("a workspace manifest is damaged: " + e.Message, e);
        }
    }

    private static void WriteNumber(Stream output, ulong value)
    {
        Span<byte> buffer = stackalloc byte[10];
        var length = 0;
        do
        {
            var low = (byte)(value & 0x7F);
            value >>= 7;
            buffer[length++] = value == 0 ? low : (byte)(low | 0x80);
        }
        while (value != 0);
        output.Write(buffer[..length]);
    }

    private static void WriteText(Stream output, string text)
    {
        var bytes = StrictUtf8.GetBytes(text);
        WriteNumber(output, (ulong)bytes.Length);
        output.Write(bytes);
    }

    private ref struct Reader(ReadOnlySpan<byte> bytes)
    {
        private ReadOnlySpan<byte> rest = bytes;

        public readonly bool AtEnd => rest.IsEmpty;

        public ReadOnlySpan<byte> Take(int length)
        {
            if (length > rest.Length)
                throw new InvalidDataException("a workspace manifest ends early");
            var taken = rest[..length];
            rest = rest[length..];
            return taken;
        }

        public ulong Number()
        {
            ulong value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                var b = Take(1)[0];
                value |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0)
                    return value;
            }
            throw new InvalidDataException("a number in a workspace manifest is too long");
        }

        /// <summary>A count or length: it cannot exceed the bytes left, which also bounds what a damaged manifest allocates.</summary>
        public int Count()
        {
            var value = Number();
            return value <= (ulong)rest.Length ? (int)value : throw new InvalidDataException("a count in a workspace manifest exceeds its length");
        }

        public string Text() => StrictUtf8.GetString(Take(Count()));
    }
}
