using Loom.Actors.Running;

namespace Loom.Actors.Tests.Running;

public sealed class JobFilesTests
{
    [Fact]
    public void A_rented_folder_holds_the_four_files_empty_and_writable()
    {
        using var pool = new JobFilesPool();
        using var files = pool.Rent();
        foreach (var file in Files(files))
        {
            Assert.True(File.Exists(file), file);
            Assert.Equal(0, new FileInfo(file).Length);
            File.AppendAllText(file, "x=1\n");
        }
        Assert.Equal(Path.GetDirectoryName(files.Output), files.Directory);
    }

    [Fact]
    public void A_folder_left_untouched_goes_to_the_next_job()
    {
        using var pool = new JobFilesPool();
        var first = pool.Rent();
        var directory = first.Directory;
        first.Dispose();
        Assert.Equal(1, pool.IdleCount);

        using var second = pool.Rent();
        Assert.Equal(directory, second.Directory);
        Assert.All(Files(second), f => Assert.Equal(0, new FileInfo(f).Length));
    }

    [Fact]
    public void A_folder_a_job_wrote_to_is_removed_and_the_next_job_gets_a_fresh_one()
    {
        using var pool = new JobFilesPool();
        var first = pool.Rent();
        File.AppendAllText(first.Output, "version=1.2.3\n");
        first.Dispose();
        Assert.False(Directory.Exists(first.Directory));
        Assert.Equal(0, pool.IdleCount);

        using var second = pool.Rent();
        Assert.NotEqual(first.Directory, second.Directory);
        Assert.Equal(0, new FileInfo(second.Output).Length);
    }

    [Fact]
    public void A_folder_a_step_left_more_files_in_is_removed_whole()
    {
        using var pool = new JobFilesPool();
        var files = pool.Rent();
        File.WriteAllText(Path.Combine(files.Directory, "extra"), "left behind");
        Directory.CreateDirectory(Path.Combine(files.Directory, "nested", "deeper"));
        File.AppendAllText(files.Env, "A=1\n");
        files.Dispose();
        Assert.False(Directory.Exists(files.Directory));
    }

    [Theory]
    [InlineData("removed")]
    [InlineData("symlink")]
    [InlineData("directory")]
    [InlineData("read-only")]
    public void A_folder_whose_files_were_replaced_is_not_reused(string change)
    {
        using var pool = new JobFilesPool();
        var files = pool.Rent();
        switch (change)
        {
            case "removed":
                File.Delete(files.Env);
                break;
            case "symlink":
                File.Delete(files.Env);
                File.CreateSymbolicLink(files.Env, "/dev/null");
                break;
            case "directory":
                File.Delete(files.Env);
                Directory.CreateDirectory(files.Env);
                break;
            case "read-only" when !OperatingSystem.IsWindows():
                File.SetUnixFileMode(files.Env, UnixFileMode.UserRead);
                break;
        }
        files.Dispose();
        Assert.False(Directory.Exists(files.Directory));
        Assert.Equal(0, pool.IdleCount);
    }

    [Fact]
    public void Disposing_twice_hands_the_folder_back_once()
    {
        using var pool = new JobFilesPool();
        var files = pool.Rent();
        files.Dispose();
        files.Dispose();
        Assert.Equal(1, pool.IdleCount);
        using var next = pool.Rent();
        Assert.Equal(0, pool.IdleCount);
        // The stale holder cannot give back the folder now in use.
        files.Dispose();
        Assert.Equal(0, pool.IdleCount);
    }

    [Fact]
    public void A_discarded_folder_is_removed_even_if_untouched()
    {
        using var pool = new JobFilesPool();
        var files = pool.Rent();
        files.Discard();
        files.Dispose();
        Assert.False(Directory.Exists(files.Directory));
        Assert.Equal(0, pool.IdleCount);
    }

    [Fact]
    public void Closing_the_pool_removes_idle_folders_and_those_given_back_later()
    {
        var pool = new JobFilesPool();
        var idle = pool.Rent();
        var busy = pool.Rent();
        idle.Dispose();
        pool.Dispose();
        Assert.False(Directory.Exists(idle.Directory));
        Assert.True(Directory.Exists(busy.Directory));

        busy.Dispose();
        Assert.False(Directory.Exists(busy.Directory));

        // A job that starts after the run ended still gets its files; they go when it ends.
        var late = pool.Rent();
        Assert.True(File.Exists(late.Output));
        late.Dispose();
        Assert.False(Directory.Exists(late.Directory));
    }

    private static string[] Files(JobFiles files) => [files.Output, files.Env, files.Path, files.StepSummary];
}
