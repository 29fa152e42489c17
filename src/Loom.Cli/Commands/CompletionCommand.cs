using System.Text;
using System.Text.RegularExpressions;

namespace Loom.Cli.Commands;

/// <summary>
/// <c>loom completion bash|zsh|fish</c>: a shell completion script. The commands and their one-line summaries come from
/// <see cref="HelpText.Main"/>, each command's options from its own help, so a command or option added to the help is
/// completed too. Job ids come from <c>loom list --json</c>, run ids from <c>loom runs</c>, when the shell asks.
/// </summary>
public static partial class CompletionCommand
{
    public const string Help = """
        Usage: loom completion bash|zsh|fish

        Prints a completion script for the shell: commands, each command's options, job ids (from
        'loom list --json' of the workflow on the line, else .loom.yml) after --job and for 'why', run
        ids (from 'loom runs') for show, logs, retry, cancel and --run, files elsewhere.

          bash   source <(loom completion bash)        in ~/.bashrc, or save it as /etc/bash_completion.d/loom
          zsh    source <(loom completion zsh)         in ~/.zshrc (it uses bash's completion through bashcompinit)
          fish   loom completion fish > ~/.config/fish/completions/loom.fish

        """;

    /// <summary>Values some options and commands take, offered as they are.</summary>
    private static readonly Dictionary<string, string> Choices = new(StringComparer.Ordinal)
    {
        ["--format"] = "ascii mermaid dot json",
        ["--on-busy"] = "queue restart ignore",
        ["cache"] = "ls clear",
        ["completion"] = "bash zsh fish",
    };

    /// <summary>Commands whose first argument is a run, or a job, rather than a workflow file.</summary>
    private static readonly string[] RunArgument = ["show", "logs", "retry", "cancel"];

    private static readonly string[] JobArgument = ["why"];

    /// <summary>Options whose value is a file.</summary>
    private static readonly string[] FileValues = ["--file", "--vars-file", "--secrets-file", "--event-file", "--cluster-secret-file"];

    public static int Execute(string[] args)
    {
        var script = args switch
        {
            ["bash"] => Bash(),
            ["zsh"] => Zsh(),
            ["fish"] => Fish(),
            _ => throw new UsageException("loom completion needs the shell: bash, zsh or fish"),
        };
        Console.Out.Write(script);
        return ExitCodes.Success;
    }

    /// <summary>The commands of <see cref="HelpText.Main"/>'s list, with their summaries.</summary>
    internal static IReadOnlyList<(string Name, string Summary)> Commands()
    {
        var commands = new List<(string, string)>();
        var listing = false;
        foreach (var line in HelpText.Main.Split('\n'))
        {
            if (line.StartsWith("Commands:", StringComparison.Ordinal))
            {
                listing = true;
                continue;
            }
            if (!listing)
                continue;
            if (line.Trim().Length == 0)
                break;
            if (CommandLine().Match(line) is { Success: true } match)
                commands.Add((match.Groups[1].Value, match.Groups[2].Value.Trim()));
        }
        return commands;
    }

    /// <summary>The options <paramref name="command"/>'s help names (and <c>--help</c>).</summary>
    internal static IReadOnlyList<string> OptionsOf(string command) =>
        HelpText.ForCommand(command) is { } help
            ? OptionPattern().Matches(help).Select(m => m.Value).Append("--help").Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList()
            : ["--help"];

    private static string Bash()
    {
        var commands = Commands();
        var text = new StringBuilder();
        text.Append("""
            # loom completion for bash: source <(loom completion bash)
            _loom_jobs() {
              local file="" w
              for w in "${COMP_WORDS[@]:2}"; do
                case "$w" in *.yml|*.yaml) file="$w" ;; esac
              done
              "${COMP_WORDS[0]}" list --json $file 2>/dev/null | grep -o '"id":"[^"]*"' | cut -d'"' -f4
            }
            _loom_runs() {
              "${COMP_WORDS[0]}" runs 2>/dev/null | awk 'NR > 1 { print $1 }'
            }
            _loom() {
              local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}" command="${COMP_WORDS[1]}" options="" values=""
              COMPREPLY=()
              if [ "$COMP_CWORD" -eq 1 ]; then
                COMPREPLY=($(compgen -W "
            """);
        text.Append(string.Join(' ', commands.Select(c => c.Name))).Append(" --help --version\" -- \"$cur\"))\n    return\n  fi\n");
        text.Append("  case \"$prev\" in\n");
        text.Append("    --job) COMPREPLY=($(compgen -W \"$(_loom_jobs)\" -- \"$cur\")); return ;;\n");
        text.Append("    --run) COMPREPLY=($(compgen -W \"$(_loom_runs)\" -- \"$cur\")); return ;;\n");
        text.Append("    ").Append(string.Join('|', FileValues)).Append(") COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n");
        foreach (var (option, choices) in Choices.Where(c => c.Key.StartsWith('-')))
            text.Append($"    {option}) COMPREPLY=($(compgen -W \"{choices}\" -- \"$cur\")); return ;;\n");
        text.Append("  esac\n  case \"$command\" in\n");
        foreach (var (name, _) in commands)
            text.Append($"    {name}) options=\"{string.Join(' ', OptionsOf(name))}\" ;;\n");
        text.Append("  esac\n");
        text.Append("""
              if [[ "$cur" == -* ]]; then
                COMPREPLY=($(compgen -W "$options" -- "$cur"))
                return
              fi
              case "$command" in

            """);
        text.Append("    ").Append(string.Join('|', RunArgument)).Append(") values=\"$(_loom_runs) latest\" ;;\n");
        text.Append("    ").Append(string.Join('|', JobArgument)).Append(") values=\"$(_loom_jobs)\" ;;\n");
        foreach (var (command, choices) in Choices.Where(c => !c.Key.StartsWith('-')))
            text.Append($"    {command}) values=\"{choices}\" ;;\n");
        text.Append("""
              esac
              if [ -n "$values" ]; then
                COMPREPLY=($(compgen -W "$values" -- "$cur"))
              else
                COMPREPLY=($(compgen -f -- "$cur"))
              fi
            }
            complete -o filenames -o bashdefault -F _loom loom

            """);
        return text.ToString();
    }

    /// <summary>zsh completes through bash's script (bashcompinit), which zsh ships for this.</summary>
    private static string Zsh() => """
        # loom completion for zsh: source <(loom completion zsh)
        autoload -U +X compinit && compinit
        autoload -U +X bashcompinit && bashcompinit

        """ + Bash();

    private static string Fish()
    {
        var commands = Commands();
        var text = new StringBuilder();
        text.Append("""
            # loom completion for fish: loom completion fish > ~/.config/fish/completions/loom.fish
            function __loom_jobs
                set -l words (commandline -opc)
                set -l file (string match -r '.*\.ya?ml$' -- $words[2..-1])
                $words[1] list --json $file 2>/dev/null | string match -ar '"id":"[^"]*"' | string replace -r '"id":"([^"]*)"' '$1'
            end
            function __loom_runs
                set -l words (commandline -opc)
                $words[1] runs 2>/dev/null | tail -n +2 | string replace -r ' .*' ''
            end
            complete -c loom -f
            complete -c loom -n __fish_use_subcommand -l help -d 'show help'
            complete -c loom -n __fish_use_subcommand -l version -d 'print the version'

            """);
        foreach (var (name, summary) in commands)
        {
            text.Append($"complete -c loom -n __fish_use_subcommand -a {name} -d '{summary.Replace("'", "\\'", StringComparison.Ordinal)}'\n");
            var seen = $"'__fish_seen_subcommand_from {name}'";
            foreach (var option in OptionsOf(name))
            {
                var flag = option.StartsWith("--", StringComparison.Ordinal) ? $"-l {option[2..]}" : $"-s {option[1..]}";
                var values = option switch
                {
                    "--job" => " -x -a '(__loom_jobs)'",
                    "--run" => " -x -a '(__loom_runs)'",
                    _ when FileValues.Contains(option) => " -r -F",
                    _ when Choices.TryGetValue(option, out var choices) => $" -x -a '{choices}'",
                    _ => "",
                };
                text.Append($"complete -c loom -n {seen} {flag}{values}\n");
            }
            var argument = RunArgument.Contains(name) ? "-a '(__loom_runs) latest'"
                : JobArgument.Contains(name) ? "-a '(__loom_jobs)'"
                : Choices.TryGetValue(name, out var words) ? $"-a '{words}'"
                : "-F";
            text.Append($"complete -c loom -n {seen} {argument}\n");
        }
        return text.ToString();
    }

    [GeneratedRegex(@"^  ([a-z][a-z-]*)\s+(.+)$")]
    private static partial Regex CommandLine();

    [GeneratedRegex(@"(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z])(?![\w-])")]
    private static partial Regex OptionPattern();
}
