using System.Text;
using Loom.Actors.Execution;

namespace Loom.Actors.Tests.Execution;

public sealed class LineSplitterTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(1000)]
    public void Lines_split_across_reads_come_out_whole(int chunk)
    {
        var bytes = Encoding.UTF8.GetBytes("first\r\nsécond\n\nthird ✓\nlast");

        Assert.Equal(["first", "sécond", "", "third ✓", "last"], Split(bytes, chunk));
    }

    [Fact]
    public void A_long_line_is_cut_at_64_KiB_without_splitting_a_character()
    {
        var text = new string('a', LineSplitter.MaxLineBytes - 1) + "é" + "tail\n";

        var lines = Split(Encoding.UTF8.GetBytes(text), 4096);

        Assert.Equal([new string('a', LineSplitter.MaxLineBytes - 1), "étail"], lines);
    }

    [Fact]
    public void A_line_of_exactly_64_KiB_stays_one_line()
    {
        var text = new string('b', LineSplitter.MaxLineBytes) + "\n" + new string('c', 2 * LineSplitter.MaxLineBytes) + "\n";

        var lines = Split(Encoding.UTF8.GetBytes(text), 10_000);

        Assert.Equal([new string('b', LineSplitter.MaxLineBytes), new string('c', LineSplitter.MaxLineBytes), new string('c', LineSplitter.MaxLineBytes)], lines);
    }

    [Fact]
    public void Invalid_bytes_become_replacement_characters()
    {
        Assert.Equal(["a\uFFFDb", "\uFFFD"], Split([(byte)'a', 0xFF, (byte)'b', (byte)'\n', 0xE2, 0x9C], 1));
    }

    [Fact]
    public void No_output_is_no_line() => Assert.Empty(Split([], 1));

    private static List<string> Split(byte[] bytes, int chunk)
    {
        var lines = new List<string>();
        var splitter = new LineSplitter(lines.Add);
        for (var i = 0; i < bytes.Length; i += chunk)
            splitter.Push(bytes.AsSpan(i, Math.Min(chunk, bytes.Length - i)));
        splitter.Complete();
        return lines;
    }
}
