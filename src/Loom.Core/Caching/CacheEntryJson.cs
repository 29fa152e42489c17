using System.Globalization;
using System.Text.Json;

namespace Loom.Core.Caching;

/// <summary>
/// An entry's file, written and read by hand (the reflection serializer costs the CLI some 30 ms to start):
/// <c>{"format":1,"key","jobId","runId","created","outputs":{...},"files":[{"path","size","sha256","mode"}|{"path","link"}]}</c>.
/// Reading checks everything, paths included; anything off is an <see cref="InvalidDataException"/>.
/// </summary>
internal static class CacheEntryJson
{
    public const int FormatVersion = 1;

    /// <summary>rwx for user, group and others: a restored file never gets setuid, setgid or sticky from an entry.</summary>
    public const UnixFileMode PermissionBits = (UnixFileMode)0x1FF;

    public static void Write(Stream stream, CacheEntry entry)
    {
        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        writer.WriteStartObject();
        writer.WriteNumber("format", FormatVersion);
        writer.WriteString("key", entry.Key);
        writer.WriteString("jobId", entry.JobId);
        writer.WriteString("runId", entry.RunId);
        writer.WriteString("created", entry.Created.ToString("O", CultureInfo.InvariantCulture));
        writer.WriteStartObject("outputs");
        foreach (var (name, value) in entry.Outputs.OrderBy(p => p.Key, StringComparer.Ordinal))
            writer.WriteString(name, value);
        writer.WriteEndObject();
        writer.WriteStartArray("files");
        foreach (var file in entry.Files)
        {
            writer.WriteStartObject();
            writer.WriteString("path", file.Path);
            if (file.LinkTarget is { } target)
            {
                writer.WriteString("link", target);
            }
            else
            {
                writer.WriteNumber("size", file.Size);
                writer.WriteString("sha256", file.Hash);
                if (file.Mode is { } mode)
                    writer.WriteNumber("mode", (int)mode);
            }
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <exception cref="InvalidDataException">Not a well-formed entry of this format.</exception>
    public static CacheEntry Read(ReadOnlyMemory<byte> json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return Read(document.RootElement);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or KeyNotFoundException)
        {
            throw new InvalidDataException(e.Message, e);
        }
    }

    private static CacheEntry Read(JsonElement root)
    {
        var format = root.GetProperty("format").GetInt32();
        if (format != FormatVersion)
            throw new InvalidDataException($"format {format}, expected {FormatVersion}");
        var created = DateTimeOffset.Parse(Text(root, "created"), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
        var outputs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var output in root.GetProperty("outputs").EnumerateObject())
            outputs[output.Name] = output.Value.GetString() ?? throw new InvalidDataException($"output '{output.Name}' is null");
        var key = Text(root, "key");
        if (!IsSha256(key))
            throw new InvalidDataException($"'{key}' is not a cache key");
        var files = root.GetProperty("files").EnumerateArray().Select(ReadFile).ToArray();
        return new CacheEntry(key, Text(root, "jobId"), Text(root, "runId"), created, outputs, files);
    }

    private static CachedFile ReadFile(JsonElement file)
    {
        var path = Text(file, "path");
        if (CachePath.Problem(path) is { } problem)
            throw new InvalidDataException(problem);
        if (file.TryGetProperty("link", out var link))
            return new CachedFile(path, 0, "", null, link.GetString() ?? throw new InvalidDataException($"'{path}' has a null link"));
        var size = file.GetProperty("size").GetInt64();
        var hash = Text(file, "sha256");
        if (size < 0 || !IsSha256(hash))
            throw new InvalidDataException($"'{path}' has a bad size or hash");
        UnixFileMode? mode = file.TryGetProperty("mode", out var bits) ? (UnixFileMode)bits.GetInt32() & PermissionBits : null;
        return new CachedFile(path, size, hash, mode, null);
    }

    private static string Text(JsonElement element, string name) =>
        element.GetProperty(name).GetString() ?? throw new InvalidDataException($"'{name}' is null");

    public static bool IsSha256(string text) => text.Length == 64 && text.All(char.IsAsciiHexDigitLower);
}
