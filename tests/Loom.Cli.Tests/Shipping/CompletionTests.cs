using Loom.Cli.Commands;

namespace Loom.Cli.Tests.Shipping;

/// <summary><c>loom --help</c> lists every command, and <c>loom completion</c> prints scripts the shells accept and that complete.</summary>
public sealed class CompletionTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly Workspace workspace = new("""
        jobs:
          build:
            steps:
              - run: 'true'
          unit-tests:
            needs: build
            steps:
              - run: 'true'
        """);

    [Fact]
    public void Every_command_in_the_help_has_one_line_and_its_own_help()
    {
        var commands = CompletionCommand.Commands();
        Assert.Equal(["run", "validate", "list", "graph", "why", "runs", "show", "retry", "cache", "logs", "cancel", "prune", "watch", "serve", "completion"],
            commands.Select(c => c.Name).Where(n => n != "ctl"));
        Assert.All(commands, c =>
        {
            Assert.NotEmpty(c.Summary);
            Assert.NotNull(HelpText.ForCommand(c.Name));
        });
        Assert.Contains("--job", CompletionCommand.OptionsOf("run"));
        Assert.Contains("--cluster", CompletionCommand.OptionsOf("run"));
    }

    [Fact]
    public async Task Bash_accepts_the_script_and_it_completes_commands_options_choices_and_job_ids()
    {
        var (exit, script, _) = await workspace.LoomAsync("completion", "bash");
        Assert.Equal(0, exit);
        var file = workspace.PathOf("loom.bash");
        File.WriteAllText(file, script);
        // What the user typed as the command: the completion runs it for job and run ids.
        var loom = workspace.PathOf("loom");
        File.WriteAllText(loom, $"#!/bin/sh\nexec {LoomProcess.ShellCommand} \"$@\"\n");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(loom, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var probe = $$"""
            set -e
            source '{{file}}'
            complete -p loom
            try() { COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); _loom; echo "$*| ${COMPREPLY[*]}"; }
            try '{{loom}}' ru
            try '{{loom}}' run --jo
            try '{{loom}}' run --job ''
            try '{{loom}}' why u
            try '{{loom}}' graph --format m
            try '{{loom}}' completion ''
            try '{{loom}}' show ''
            """;
        var output = await DotnetCommand.RunAsync("bash", workspace.Root, ["-c", probe], Patience);
        Assert.Matches(@"complete .*-F _loom loom", output);
        Assert.Contains(" ru| run runs", output);
        Assert.Contains(" run --jo| --job", output);
        Assert.Contains(" run --job | build unit-tests", output);
        Assert.Contains(" why u| unit-tests", output);
        Assert.Contains(" graph --format m| mermaid", output);
        Assert.Contains(" completion | bash zsh fish", output);
        Assert.Contains(" show | latest", output);
    }

    [Theory]
    [InlineData("zsh")]
    [InlineData("fish")]
    public async Task Zsh_and_fish_accept_their_scripts_where_they_are_installed(string shell)
    {
        var (exit, script, _) = await workspace.LoomAsync("completion", shell);
        Assert.Equal(0, exit);
        Assert.StartsWith($"# loom completion for {shell}", script);
        var path = Environment.GetEnvironmentVariable("PATH")!.Split(':').Select(dir => Path.Combine(dir, shell)).FirstOrDefault(File.Exists);
        if (path is null)
            return;
        File.WriteAllText(workspace.PathOf("loom." + shell), script);
        await DotnetCommand.RunAsync(path, workspace.Root, ["-n", workspace.PathOf("loom." + shell)], Patience);
    }

    [Fact]
    public async Task A_shell_that_is_not_known_is_a_usage_error()
    {
        var (exit, _, stderr) = await workspace.LoomAsync("completion", "tcsh");
        Assert.Equal(2, exit);
        Assert.Contains("bash, zsh or fish", stderr);
    }

    public void Dispose() => workspace.Dispose();
}
