using Loom.Actors.Execution;

namespace Loom.Actors.Tests.Execution;

public sealed class ShellCommandTests
{
    [Theory]
    [InlineData(null, true, new[] { "bash", "-e", "{0}" })]
    [InlineData(null, false, new[] { "sh", "-e", "{0}" })]
    [InlineData("", true, new[] { "bash", "-e", "{0}" })]
    [InlineData("bash", false, new[] { "bash", "--noprofile", "--norc", "-eo", "pipefail", "{0}" })]
    [InlineData("sh", true, new[] { "sh", "-e", "{0}" })]
    [InlineData("python", true, new[] { "python3", "{0}" })]
    [InlineData("pwsh", true, new[] { "pwsh", "-command", ". '{0}'; exit $LASTEXITCODE" })]
    [InlineData(" bash -x {0} ", true, new[] { "bash", "-x", "{0}" })]
    [InlineData("perl -w {0}", true, new[] { "perl", "-w", "{0}" })]
    [InlineData("node --title \"a b\" {0}.js", true, new[] { "node", "--title", "a b", "{0}.js" })]
    public void Resolves_the_shells_of_the_spec(string? shell, bool bashOnPath, string[] template)
    {
        Assert.True(ShellCommand.TryResolve(shell, bashOnPath, out var resolved, out var error));
        Assert.Null(error);
        Assert.Equal(template, resolved);
    }

    [Theory]
    [InlineData("zsh")]
    [InlineData("cmd")]
    [InlineData("powershell")]
    [InlineData("bash -x")]
    [InlineData("{0}")]
    public void Rejects_what_is_neither_a_known_shell_nor_a_template(string shell)
    {
        Assert.False(ShellCommand.TryResolve(shell, true, out _, out var error));
        Assert.Equal($"shell '{shell}' is not supported: use bash, sh, python, pwsh or a command template containing {{0}}", error);
    }

    [Theory]
    [InlineData("a b c", new[] { "a", "b", "c" })]
    [InlineData("a  \"b c\"  d", new[] { "a", "b c", "d" })]
    [InlineData("a 'b c'", new[] { "a", "'b", "c'" })]
    [InlineData("a \\\"b\\\"", new[] { "a", "\"b\"" })]
    [InlineData("a b\\\\\"c d\"", new[] { "a", "b\\c d" })]
    [InlineData("a b\\c", new[] { "a", "b\\c" })]
    [InlineData("a \"x\"\"y\"", new[] { "a", "x\"y" })]
    [InlineData("a \"\"", new[] { "a", "" })]
    [InlineData("a\tb", new[] { "a\tb" })]
    public void Splits_templates_like_GitHub(string template, string[] words) =>
        Assert.Equal(words, ShellCommand.Split(template));

    [Fact]
    public void Puts_the_script_in_every_placeholder() =>
        Assert.Equal(["pwsh", "-command", ". '/tmp/s.ps1'"], ShellCommand.Format(["pwsh", "-command", ". '{0}'"], "/tmp/s.ps1"));

    [Theory]
    [InlineData("bash", ".sh")]
    [InlineData("sh", ".sh")]
    [InlineData("python3", ".py")]
    [InlineData("pwsh", ".ps1")]
    [InlineData("/usr/bin/python", ".py")]
    [InlineData("perl", "")]
    public void Chooses_the_extension_by_program(string program, string extension) =>
        Assert.Equal(extension, ShellCommand.ScriptExtension(program));

    [Fact]
    public void Wraps_PowerShell_scripts_as_GitHub_does()
    {
        Assert.Equal("$ErrorActionPreference = 'stop'\nls\nif ((Test-Path -LiteralPath variable:\\LASTEXITCODE)) { exit $LASTEXITCODE }",
            ShellCommand.ScriptContent("pwsh", "ls"));
        Assert.Equal("ls", ShellCommand.ScriptContent("bash", "ls"));
    }
}
