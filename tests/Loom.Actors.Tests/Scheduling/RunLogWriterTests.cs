using Akka.Event;
using Loom.Actors.Scheduling;

namespace Loom.Actors.Tests.Scheduling;

public sealed class RunLogWriterTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "loom-logs-" + Guid.NewGuid().ToString("N"), "logs");

    public void Dispose()
    {
        if (Directory.Exists(Path.GetDirectoryName(folder)))
            Directory.Delete(Path.GetDirectoryName(folder)!, recursive: true);
    }

    [Fact]
    public async Task Lines_go_to_one_file_per_attempt_with_a_header_before_each_steps_first_line()
    {
        var writer = new RunLogWriter(folder, 1024 * 1024, NoLogger.Instance);
        writer.Write("a", 1, 0, "Build", "one");
        writer.Write("a", 1, 0, "Build", "two");
        writer.Write("a", 1, 2, "Test", "three");
        writer.Close("a");
        writer.Write("a", 2, 0, "Build", "again");
        await writer.CloseAllAsync();
        Assert.Equal("::step 1 Build\none\ntwo\n::step 3 Test\nthree\n", File.ReadAllText(Path.Combine(folder, "a.1.log")));
        Assert.Equal("::step 1 Build\nagain\n", File.ReadAllText(Path.Combine(folder, "a.2.log")));
    }

    [Fact]
    public async Task Nothing_is_created_before_the_first_line()
    {
        var writer = new RunLogWriter(folder, 1024 * 1024, NoLogger.Instance);
        writer.Flush();
        writer.Close("a");
        await writer.CloseAllAsync();
        Assert.False(writer.Started);
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public async Task Past_the_limit_lines_are_counted_and_a_last_line_says_how_many()
    {
        var writer = new RunLogWriter(folder, 1024, NoLogger.Instance);
        // The header "::step 1 s" is 11 bytes; each line 100 (99 characters and its end): ten fit.
        var line = new string('x', 99);
        for (var i = 0; i < 15; i++)
            writer.Write("big", 1, 0, "s", line);
        // A short line after the limit is dropped too: the file never reads as if nothing were lost.
        writer.Write("big", 1, 0, "s", "short");
        await writer.CloseAllAsync();
        var lines = File.ReadAllLines(Path.Combine(folder, "big.1.log"));
        Assert.Equal(12, lines.Length);
        Assert.Equal("[loom] output truncated at 1 KiB: 6 more lines not kept", lines[^1]);
    }

    [Fact]
    public async Task Flush_writes_what_is_buffered_and_keeps_the_file_open()
    {
        var writer = new RunLogWriter(folder, 1024 * 1024, NoLogger.Instance);
        writer.Write("a", 1, 0, "s", "early");
        writer.Flush();
        var path = Path.Combine(folder, "a.1.log");
        await WaitForAsync(() => File.Exists(path) && File.ReadAllText(path).Contains("early"));
        writer.Write("a", 1, 0, "s", "late");
        await writer.CloseAllAsync();
        Assert.Equal("::step 1 s\nearly\nlate\n", File.ReadAllText(path));
    }

    [Theory]
    [InlineData("build", 1, "build.1.log")]
    [InlineData("build-x_y.z", 3, "build-x_y.z.3.log")]
    public void A_job_id_is_its_own_file_name(string unit, int attempt, string name) =>
        Assert.Equal(name, RunLogFiles.NameOf(unit, attempt));

    [Fact]
    public void Matrix_cells_get_safe_distinct_names()
    {
        string[] cells = ["build (linux, 8)", "build (linux/8)", "build (linux, 8) #2", "build (" + new string('x', 300) + ")", "b (../../etc)"];
        var names = cells.Select(c => RunLogFiles.NameOf(c, 1)).ToArray();
        Assert.Equal(names.Length, names.Distinct().Count());
        Assert.All(names, n => Assert.Matches(@"^[A-Za-z0-9_.-]{1,120}$", n));
        Assert.StartsWith("build_linux_8_-", names[0]);
    }

    [Fact]
    public void Step_headers_read_back()
    {
        Assert.True(RunLogFiles.TryReadHeader(RunLogFiles.Header(4, "Run tests"), out var step, out var title));
        Assert.Equal((5, "Run tests"), (step, title));
        Assert.False(RunLogFiles.TryReadHeader("::step x y", out _, out _));
        Assert.False(RunLogFiles.TryReadHeader("hello", out _, out _));
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition never held");
            await Task.Delay(10);
        }
    }
}
