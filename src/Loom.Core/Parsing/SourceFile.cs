using System.Security;
using Loom.Core.Diagnostics;

namespace Loom.Core.Parsing;

/// <summary>Reads a workflow file's bytes, never more than the size limit allows (a pipe or device has no length to check first).</summary>
internal static class SourceFile
{
    public static byte[]? Read(string path, ParseLimits limits, DiagnosticBag errors)
    {
        try
        {
            if (Directory.Exists(path))
            {
                errors.Add(SourceLocation.Start, "cannot read the file: it is a directory");
                return null;
            }
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
            if (stream.CanSeek && stream.Length > limits.MaxFileBytes)
            {
                errors.Add(SourceLocation.Start, LimitMessages.FileTooLarge(limits));
                return null;
            }
            // One byte past the limit tells "too large" apart from "exactly at the limit".
            var bytes = ReadAtMost(stream, Math.Clamp(limits.MaxFileBytes, 0, Array.MaxLength - 1L) + 1, stream.CanSeek ? stream.Length : 0);
            if (bytes.Length > limits.MaxFileBytes)
            {
                errors.Add(SourceLocation.Start, LimitMessages.FileTooLarge(limits));
                return null;
            }
            return bytes;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            errors.Add(SourceLocation.Start, "cannot read the file: it does not exist");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or SecurityException or ArgumentException or NotSupportedException)
        {
            errors.Add(SourceLocation.Start, $"cannot read the file: {e.Message}");
        }
        return null;
    }

    private static byte[] ReadAtMost(Stream stream, long limit, long expected)
    {
        var buffer = new byte[(int)Math.Min(limit, Math.Max(expected, 64 * 1024))];
        var length = 0;
        while (length < limit)
        {
            if (length == buffer.Length)
                Array.Resize(ref buffer, (int)Math.Min(limit, buffer.Length * 2L));
            var read = stream.Read(buffer, length, buffer.Length - length);
            if (read == 0)
                break;
            length += read;
        }
        return length == buffer.Length ? buffer : buffer[..length];
    }
}
