using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Globalization;

namespace Loom.Actors.Execution;

/// <summary>
/// Spec §3's fast path: a <c>run</c> of plain words under bash or sh is started directly, as make
/// does, with the exit code, output and environment the shell would have given it.
/// </summary>
public static class FastPath
{
    // Quotes, expansions, redirections, globs, comments, assignments: anything a shell would interpret.
    private static readonly SearchValues<char> ShellSyntax = SearchValues.Create("'\"$`\\|&;<>(){}*?[]~#=\n\0");

    private static readonly SearchValues<char> NameChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");

    private static readonly ConcurrentDictionary<string, ShellFlavor?> Flavors = new(StringComparer.Ordinal);

    /// <summary>bash's keywords and builtins (<c>compgen -k</c>, <c>compgen -b</c>) and dash's (<c>chdir</c>).</summary>
    internal static readonly FrozenSet<string> ShellWords = FrozenSet.ToFrozenSet(
    [
        "if", "then", "else", "elif", "fi", "case", "esac", "for", "select", "while", "until", "do", "done", "in",
        "function", "time", "{", "}", "!", "[[", "]]", "coproc",
        ".", ":", "[", "alias", "bg", "bind", "break", "builtin", "caller", "cd", "chdir", "command", "compgen",
        "complete", "compopt", "continue", "declare", "dirs", "disown", "echo", "enable", "eval", "exec", "exit",
        "export", "false", "fc", "fg", "getopts", "hash", "help", "history", "jobs", "kill", "let", "local",
        "logout", "mapfile", "popd", "printf", "pushd", "pwd", "read", "readarray", "readonly", "return", "set",
        "shift", "shopt", "source", "suspend", "test", "times", "trap", "true", "type", "typeset", "ulimit",
        "umask", "unalias", "unset", "wait",
    ], StringComparer.Ordinal);

    /// <summary>
    /// True when <paramref name="run"/> is one line of plain words (trailing newlines allowed) whose
    /// first word is not a shell keyword or builtin. Exception, as in make: <c>true</c> or
    /// <c>false</c> alone, whose coreutils twins behave exactly like the builtins (the launcher
    /// only takes them from /usr/bin or /bin).
    /// </summary>
    public static bool TryParse(string run, out IReadOnlyList<string> argv)
    {
        argv = [];
        var line = run.AsSpan().TrimEnd('\n');
        if (line.ContainsAny(ShellSyntax))
            return false;
        var words = new List<string>();
        foreach (var range in line.SplitAny(' ', '\t'))
        {
            if (range.End.Value > range.Start.Value)
                words.Add(line[range].ToString());
        }
        if (words.Count == 0 || (ShellWords.Contains(words[0]) && !IsCoreutilsTwin(words)))
            return false;
        argv = words;
        return true;
    }

    private static bool IsCoreutilsTwin(List<string> words) => words is ["true"] or ["false"];

    /// <summary>Whether a resolved program may stand in for the builtin it is named after.</summary>
    internal static bool IsTrustedTwin(IReadOnlyList<string> argv, string program) =>
        !ShellWords.Contains(argv[0]) || program == $"/usr/bin/{argv[0]}" || program == $"/bin/{argv[0]}";

    /// <summary>Which shell a path really is; only bash and dash are imitated.</summary>
    internal static ShellFlavor? FlavorOf(string shellPath) => Flavors.GetOrAdd(shellPath, static path =>
        Path.GetFileName(FileSystemPaths.RealPath(path)) switch
        {
            "bash" => ShellFlavor.Bash,
            "dash" => ShellFlavor.Dash,
            _ => null,
        });

    /// <summary>
    /// The environment the shell would have passed to the program, or null when the shell would
    /// have done more than run it (startup files, exported functions, options from the environment,
    /// a warning about SHLVL).
    /// </summary>
    internal static Dictionary<string, string>? ShellEnvironment(ShellFlavor flavor, IReadOnlyDictionary<string, string> environment,
        string workingDirectory, string program)
    {
        var result = new Dictionary<string, string>(environment.Count + 3, StringComparer.Ordinal);
        foreach (var (key, value) in environment)
        {
            if (flavor == ShellFlavor.Bash && ChangesWhatBashRuns(key))
                return null;
            // dash drops variables whose names it could not use; bash passes them on.
            if (flavor == ShellFlavor.Bash || IsShellName(key))
                result[key] = value;
        }
        result["PWD"] = ShellPwd(environment, workingDirectory);
        if (flavor == ShellFlavor.Dash)
            return result;

        if (result.TryGetValue("OLDPWD", out var oldPwd) && !Directory.Exists(Path.Combine(workingDirectory, oldPwd)))
            result.Remove("OLDPWD");
        var level = ShellLevel(environment.GetValueOrDefault("SHLVL")) + 1;
        if (level >= 1000)
            return null;
        result["SHLVL"] = Math.Max(level, 0).ToString(CultureInfo.InvariantCulture);
        result["_"] = program;
        return result;
    }

    // A startup file, options, posix mode, a PATH filter, an exported function (that may shadow the program).
    private static bool ChangesWhatBashRuns(string name) =>
        name is "BASH_ENV" or "SHELLOPTS" or "BASHOPTS" or "POSIXLY_CORRECT" or "EXECIGNORE"
        || name.StartsWith("BASH_FUNC_", StringComparison.Ordinal);

    // Both shells keep an inherited absolute PWD that names the directory they start in, else use getcwd().
    // The usual case, PWD spelled as the working directory (which exists), needs no stat.
    private static string ShellPwd(IReadOnlyDictionary<string, string> environment, string workingDirectory) =>
        environment.TryGetValue("PWD", out var pwd) && pwd.StartsWith('/')
            && (pwd == workingDirectory || FileSystemPaths.SameFile(pwd, workingDirectory))
            ? pwd
            : FileSystemPaths.RealPath(workingDirectory);

    // bash's legal_number: optional blanks and sign, decimal digits, optional trailing blanks; else 0.
    private static long ShellLevel(string? value) =>
        long.TryParse(value?.Trim(' ', '\t'), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var level) ? level : 0;

    private static bool IsShellName(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.AsSpan(1).IndexOfAnyExcept(NameChars) < 0;
}

internal enum ShellFlavor
{
    Bash,
    Dash,
}
