using System.Diagnostics;
using Loom.Core.Runtime;

namespace Loom.Core.Tests.Runtime;

/// <summary>Against real repositories made with the git command.</summary>
public sealed class GitCheckoutTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("loom-git-").FullName;
    private readonly string repo;

    public GitCheckoutTests()
    {
        repo = Path.Combine(root, "repo");
        Directory.CreateDirectory(repo);
        Git(repo, "init", "-q", "-b", "main");
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    private static string Git(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var setting in (string[])["-c", "user.name=Loom", "-c", "user.email=loom@example.com", "-c", "commit.gpgsign=false"])
            start.ArgumentList.Add(setting);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var git = Process.Start(start)!;
        var output = git.StandardOutput.ReadToEnd();
        var errors = git.StandardError.ReadToEnd();
        git.WaitForExit();
        Assert.True(git.ExitCode == 0, $"git {string.Join(' ', arguments)}: {errors}");
        return output.Trim();
    }

    private string Commit(string message)
    {
        Git(repo, "commit", "-q", "--allow-empty", "-m", message);
        return Git(repo, "rev-parse", "HEAD");
    }

    [Fact]
    public void A_branch_checkout_has_its_sha_ref_and_repository()
    {
        var sha = Commit("first");
        Git(repo, "remote", "add", "origin", "https://github.com/acme/widgets.git");
        Directory.CreateDirectory(Path.Combine(repo, "src", "deep"));

        Assert.Equal(new CheckoutInfo(sha, "refs/heads/main", "main", "acme/widgets"), GitCheckout.Read(Path.Combine(repo, "src", "deep")));
    }

    [Fact]
    public void A_branch_with_a_slash_keeps_it_in_ref_name()
    {
        var sha = Commit("first");
        Git(repo, "checkout", "-q", "-b", "feature/x");
        Assert.Equal(new CheckoutInfo(sha, "refs/heads/feature/x", "feature/x", ""), GitCheckout.Read(repo));
    }

    [Fact]
    public void A_detached_head_has_a_sha_and_no_ref()
    {
        var first = Commit("first");
        Commit("second");
        Git(repo, "checkout", "-q", "--detach", first);
        Assert.Equal(new CheckoutInfo(first, "", "", ""), GitCheckout.Read(repo));
    }

    [Fact]
    public void Packed_refs_are_resolved()
    {
        var sha = Commit("first");
        Git(repo, "pack-refs", "--all");
        Assert.False(File.Exists(Path.Combine(repo, ".git", "refs", "heads", "main")));
        Assert.Equal(sha, GitCheckout.Read(repo).Sha);
    }

    [Fact]
    public void A_branch_without_commits_has_a_ref_and_no_sha()
        => Assert.Equal(new CheckoutInfo("", "refs/heads/main", "main", ""), GitCheckout.Read(repo));

    [Fact]
    public void A_worktree_reads_its_own_head_and_the_shared_refs_and_config()
    {
        Commit("first");
        Git(repo, "remote", "add", "origin", "git@github.com:acme/widgets.git");
        var worktree = Path.Combine(root, "wt");
        Git(repo, "worktree", "add", "-q", "-b", "feature", worktree);
        var sha = Commit("on main only");
        Git(repo, "pack-refs", "--all");

        var info = GitCheckout.Read(worktree);
        Assert.Equal(new CheckoutInfo(Git(worktree, "rev-parse", "HEAD"), "refs/heads/feature", "feature", "acme/widgets"), info);
        Assert.NotEqual(sha, info.Sha);
        Assert.Equal(sha, GitCheckout.Read(repo).Sha);
    }

    [Fact]
    public void Outside_a_checkout_everything_is_empty()
        => Assert.Equal(CheckoutInfo.None, GitCheckout.Read(root));

    [Theory]
    [InlineData("https://github.com/acme/widgets.git", "acme/widgets")]
    [InlineData("https://github.com/acme/widgets/", "acme/widgets")]
    [InlineData("https://user:token@github.example.com/acme/widgets", "acme/widgets")]
    [InlineData("git@github.com:acme/widgets.git", "acme/widgets")]
    [InlineData("ssh://git@github.com:22/acme/widgets.git", "acme/widgets")]
    [InlineData("git://example.com/group/sub/widgets.git", "sub/widgets")]
    [InlineData("/srv/git/acme/widgets.git", "acme/widgets")]
    [InlineData("https://github.com/", "")]
    [InlineData("", "")]
    public void Remote_urls_become_owner_and_name(string url, string repository)
        => Assert.Equal(repository, GitRemoteUrl.Repository(url));
}
