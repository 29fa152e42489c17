using System.Buffers;
using System.Text;

namespace Loom.Actors.Execution;

/// <summary>
/// Turns a byte stream into lines: split on <c>\n</c>, one trailing <c>\r</c> dropped, UTF-8 with
/// invalid bytes replaced, lines longer than <see cref="MaxLineBytes"/> cut (on a character boundary).
/// </summary>
internal sealed class LineSplitter(Action<string> onLine)
{
    public const int MaxLineBytes = 64 * 1024;

    private byte[]? pending;
    private int pendingLength;

    /// <summary>True while an unterminated line waits for more bytes.</summary>
    public bool HasPending => pendingLength > 0;

    public void Push(ReadOnlySpan<byte> data)
    {
        while (true)
        {
            var newline = data.IndexOf((byte)'\n');
            if (newline < 0)
            {
                Append(data);
                return;
            }
            var line = data[..newline];
            data = data[(newline + 1)..];
            if (pendingLength == 0 && line.Length <= MaxLineBytes)
            {
                Emit(line, dropCarriageReturn: true);
            }
            else
            {
                Append(line);
                EmitPending(dropCarriageReturn: true);
            }
        }
    }

    /// <summary>End of stream: the last line, if it had no newline.</summary>
    public void Complete()
    {
        if (pendingLength > 0)
            EmitPending(dropCarriageReturn: true);
    }

    /// <summary>Returns the buffer of a partial line to the pool.</summary>
    public void Release()
    {
        if (pending is not null)
            ArrayPool<byte>.Shared.Return(pending);
        pending = null;
        pendingLength = 0;
    }

    private void Append(ReadOnlySpan<byte> data)
    {
        while (pendingLength + data.Length > MaxLineBytes)
        {
            var take = MaxLineBytes - pendingLength;
            Store(data[..take]);
            data = data[take..];
            // A character straddling the limit starts the next piece instead (UTF-8: at most 3 bytes back).
            var cut = MaxLineBytes;
            if (IsContinuation(data[0]))
            {
                for (var back = 1; back <= 3; back++)
                {
                    if (!IsContinuation(pending![cut - back]))
                    {
                        cut -= back;
                        break;
                    }
                }
            }
            Emit(pending.AsSpan(0, cut), dropCarriageReturn: false);
            pending.AsSpan(cut, MaxLineBytes - cut).CopyTo(pending);
            pendingLength = MaxLineBytes - cut;
        }
        Store(data);
    }

    private void Store(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
            return;
        pending ??= ArrayPool<byte>.Shared.Rent(MaxLineBytes);
        data.CopyTo(pending.AsSpan(pendingLength));
        pendingLength += data.Length;
    }

    private void EmitPending(bool dropCarriageReturn)
    {
        Emit(pending.AsSpan(0, pendingLength), dropCarriageReturn);
        pendingLength = 0;
    }

    private void Emit(ReadOnlySpan<byte> line, bool dropCarriageReturn)
    {
        if (dropCarriageReturn && line.EndsWith((byte)'\r'))
            line = line[..^1];
        onLine(Encoding.UTF8.GetString(line));
    }

    private static bool IsContinuation(byte value) => (value & 0xC0) == 0x80;
}
