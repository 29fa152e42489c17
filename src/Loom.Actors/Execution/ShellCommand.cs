using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Loom.Actors.Execution;

/// <summary>
/// A step's <c>shell</c> as a command line, per spec §3 and as GitHub Actions runs it on Linux:
/// a template whose first word is the program and whose <c>{0}</c> is the script file.
/// </summary>
public static class ShellCommand
{
    public const string Placeholder = "{0}";

    /// <summary>The default with bash on PATH: no pipefail, as in GitHub.</summary>
    public const string DefaultBash = "bash -e {0}";
    public const string DefaultSh = "sh -e {0}";
    public const string Bash = "bash --noprofile --norc -eo pipefail {0}";
    public const string Sh = "sh -e {0}";
    public const string Python = "python3 {0}";
    /// <remarks>
    /// GitHub's template is <c>pwsh -command ". '{0}'"</c>, but PowerShell 7.6 ends such a command with 1
    /// whatever exit code the script's <c>exit</c> gave; passing <c>$LASTEXITCODE</c> on keeps the step's code.
    /// </remarks>
    public const string Pwsh = "pwsh -command \". '{0}'; exit $LASTEXITCODE\"";

    /// <summary>
    /// The argv template for <paramref name="shell"/> (null or empty: the default, which depends on
    /// whether bash is on the step's PATH); element 0 is the program to look up on PATH.
    /// </summary>
    public static bool TryResolve(string? shell, bool bashOnPath, [NotNullWhen(true)] out string[]? template, [NotNullWhen(false)] out string? error)
    {
        var text = shell?.Trim() switch
        {
            null or "" => bashOnPath ? DefaultBash : DefaultSh,
            "bash" => Bash,
            "sh" => Sh,
            "python" => Python,
            "pwsh" => Pwsh,
            var custom when custom.Contains(Placeholder, StringComparison.Ordinal) => custom,
            _ => null,
        };
        template = text is null ? null : Split(text);
        if (template is null || !template.Skip(1).Any(argument => argument.Contains(Placeholder, StringComparison.Ordinal)))
        {
            template = null;
            error = $"shell '{shell}' is not supported: use bash, sh, python, pwsh or a command template containing {Placeholder}";
            return false;
        }
        error = null;
        return true;
    }

    /// <summary>The template with <c>{0}</c> replaced by the script's path in every argument.</summary>
    public static string[] Format(IReadOnlyList<string> template, string scriptPath)
    {
        var argv = new string[template.Count];
        for (var i = 0; i < argv.Length; i++)
            argv[i] = template[i].Replace(Placeholder, scriptPath, StringComparison.Ordinal);
        return argv;
    }

    /// <summary>
    /// Splits a template as GitHub does: up to the first space is the program; the rest is parsed
    /// like .NET's <c>ProcessStartInfo.Arguments</c> (double quotes group, backslashes escape them,
    /// single quotes are ordinary characters).
    /// </summary>
    public static string[] Split(string template)
    {
        var space = template.IndexOf(' ');
        var words = new List<string> { space < 0 ? template : template[..space] };
        if (space >= 0)
            SplitArguments(template.AsSpan(space + 1), words);
        return [.. words];
    }

    /// <summary>The script file's extension, chosen by the program as GitHub does.</summary>
    public static string ScriptExtension(string program) => Path.GetFileName(program) switch
    {
        "bash" or "sh" => ".sh",
        "python" or "python3" => ".py",
        "pwsh" or "powershell" => ".ps1",
        _ => "",
    };

    /// <summary>The script file's text: GitHub wraps PowerShell so that errors and exit codes fail the step.</summary>
    public static string ScriptContent(string program, string run) => Path.GetFileName(program) is "pwsh" or "powershell"
        ? $"$ErrorActionPreference = 'stop'\n{run}\nif ((Test-Path -LiteralPath variable:\\LASTEXITCODE)) {{ exit $LASTEXITCODE }}"
        : run;

    private static void SplitArguments(ReadOnlySpan<char> text, List<string> words)
    {
        var word = new StringBuilder();
        var inWord = false;
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\\')
            {
                var run = 1;
                while (i + run < text.Length && text[i + run] == '\\')
                    run++;
                // Before a double quote, 2n backslashes are n and the quote delimits; 2n+1 make it literal.
                var quoteFollows = i + run < text.Length && text[i + run] == '"';
                word.Append('\\', quoteFollows ? run / 2 : run);
                i += run - 1;
                if (quoteFollows && run % 2 == 1)
                {
                    word.Append('"');
                    i++;
                }
                inWord = true;
            }
            else if (c == '"')
            {
                if (quoted && i + 1 < text.Length && text[i + 1] == '"')
                    word.Append(text[++i]);
                else
                    quoted = !quoted;
                inWord = true;
            }
            else if (c is ' ' or '\t' && !quoted)
            {
                if (inWord)
                    words.Add(word.ToString());
                word.Clear();
                inWord = false;
            }
            else
            {
                word.Append(c);
                inWord = true;
            }
        }
        if (inWord)
            words.Add(word.ToString());
    }
}
