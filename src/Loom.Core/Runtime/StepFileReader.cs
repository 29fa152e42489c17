using System.Text;

namespace Loom.Core.Runtime;

/// <summary>
/// Reads what a step wrote to one of its job's command files (<c>$LOOM_OUTPUT</c>, <c>$LOOM_ENV</c>,
/// <c>$LOOM_PATH</c>) and empties the file for the next step. GitHub gives each step fresh files; the job
/// keeps one set here, so emptying after each step gives the same result and, unlike remembering an
/// offset, stays right when a step overwrites the file with <c>&gt;</c> instead of appending.
/// </summary>
public static class StepFileReader
{
    /// <summary>More than this is not a list of outputs but a runaway step; refuse it rather than run out of memory.</summary>
    public const long DefaultMaxBytes = 64L * 1024 * 1024;

    /// <summary>The file's text (UTF-8; a byte order mark is dropped), or "" when it does not exist.</summary>
    /// <exception cref="InvalidDataException">The file is larger than <paramref name="maxBytes"/>; it is emptied anyway.</exception>
    public static string ReadAndClear(string path, long maxBytes = DefaultMaxBytes)
    {
        if (!File.Exists(path))
            return "";
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        var length = stream.Length;
        if (length > maxBytes)
        {
            stream.SetLength(0);
            throw new InvalidDataException($"{path} holds {length} bytes; Loom reads at most {maxBytes} from a step.");
        }
        string text;
        using (var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, leaveOpen: true))
            text = reader.ReadToEnd();
        stream.SetLength(0);
        return text;
    }
}
