using Loom.Actors.Execution;

namespace Loom.Actors.Tests.Execution;

/// <summary>PATH search results are cached; every change a shell would see must still be seen at once.</summary>
public sealed class ExecutableLookupTests : IDisposable
{
    private const string Tool = "loom-lookup-test-tool";
    private const uint Executable = 0x1C0; // 0700

    private readonly Steps.TempDirectory temp = new();
    private readonly string first;
    private readonly string second;
    private readonly string path;

    public ExecutableLookupTests()
    {
        first = Directory.CreateDirectory(Path.Combine(temp.Path, "first")).FullName;
        second = Directory.CreateDirectory(Path.Combine(temp.Path, "second")).FullName;
        path = $"{first}:{second}:/usr/bin:/bin";
    }

    public void Dispose() => temp.Dispose();

    [Fact]
    public void A_program_added_earlier_on_PATH_is_found_at_once()
    {
        WriteProgram(second);
        Assert.Equal($"{second}/{Tool}", Find());

        WriteProgram(first);

        Assert.Equal($"{first}/{Tool}", Find());
    }

    [Fact]
    public void A_removed_program_is_no_longer_found()
    {
        WriteProgram(first);
        Assert.Equal($"{first}/{Tool}", Find());

        File.Delete(Path.Combine(first, Tool));
        Assert.Null(Find());
    }

    [Fact]
    public void A_program_made_executable_is_found_and_one_made_unexecutable_is_not()
    {
        File.WriteAllText(Path.Combine(first, Tool), "#!/bin/sh\n");
        WriteProgram(second);
        Assert.Equal($"{second}/{Tool}", Find());

        Libc.chmod(Path.Combine(first, Tool), Executable);
        Assert.Equal($"{first}/{Tool}", Find());

        Libc.chmod(Path.Combine(first, Tool), 0x180); // 0600
        Assert.Equal($"{second}/{Tool}", Find());
    }

    [Fact]
    public void A_program_renamed_into_or_out_of_a_PATH_directory_is_seen()
    {
        var outside = WriteProgram(temp.Path);
        Assert.Null(Find());

        File.Move(outside, Path.Combine(second, Tool));
        Assert.Equal($"{second}/{Tool}", Find());

        File.Move(Path.Combine(second, Tool), outside);
        Assert.Null(Find());
    }

    [Fact]
    public void A_PATH_directory_replaced_by_another_is_searched_anew()
    {
        Assert.Null(Find());
        var replacement = Directory.CreateDirectory(Path.Combine(temp.Path, "replacement")).FullName;
        WriteProgram(replacement);

        Directory.Delete(first);
        Directory.Move(replacement, first);

        Assert.Equal($"{first}/{Tool}", Find());
    }

    [Fact]
    public void A_symlinked_PATH_directory_follows_its_link()
    {
        var link = Path.Combine(temp.Path, "link");
        File.CreateSymbolicLink(link, second);
        var linkPath = $"{link}:/usr/bin";
        Assert.Null(ExecutableLookup.Find(Tool, linkPath, "/"));

        WriteProgram(first);
        File.Delete(link);
        File.CreateSymbolicLink(link, first);

        Assert.Equal($"{link}/{Tool}", ExecutableLookup.Find(Tool, linkPath, "/"));
    }

    [Fact]
    public void Relative_PATH_entries_are_searched_from_the_working_directory()
    {
        var relativePath = "first::/usr/bin";
        Assert.Null(ExecutableLookup.Find(Tool, relativePath, temp.Path));

        WriteProgram(first);
        Assert.Equal($"first/{Tool}", ExecutableLookup.Find(Tool, relativePath, temp.Path));

        // From another directory "first" names nothing, and the empty entry finds the program there.
        WriteProgram(second);
        Assert.Equal(Tool, ExecutableLookup.Find(Tool, relativePath, second));
    }

    [Fact]
    public void A_repeated_entry_finds_what_the_first_finds()
    {
        WriteProgram(second);

        Assert.Equal($"{second}/{Tool}", ExecutableLookup.Find(Tool, $"{first}:{first}:{second}", "/"));
    }

    private string? Find() => ExecutableLookup.Find(Tool, path, "/");

    private static string WriteProgram(string directory)
    {
        var file = Path.Combine(directory, Tool);
        File.WriteAllText(file, "#!/bin/sh\n");
        Libc.chmod(file, Executable);
        return file;
    }
}
