using System.Text;
using Loom.Cluster.Admin;

namespace Loom.Cli.Commands.Ctl;

/// <summary>
/// <c>loom ctl HOST:PORT</c> without a command: a prompt with history (kept in <c>~/.loom/ctl_history</c>) and tab completion
/// of commands, options, members, run ids and job ids. Reading from a pipe, it runs each line as a command.
/// </summary>
internal static class CtlShell
{
    public const string Commands = """
        cluster show | cluster leave ADDR | cluster down ADDR | cluster tail
        jobs [--node ADDR] | scheduler | shards | shards locate RUN JOB
        actors [--node ADDR] [--depth N] | log peek [-n N] [--level L] [--node ADDR]
        runs | show [RUN] | why JOB [--run RUN] | logs [RUN] [JOB] [--follow]
        cancel RUN | retry RUN [--max-parallel N] [--no-cache] | validate FILE [--skip-uses]
        help | exit (or Ctrl-D)
        Add --json to any command for JSON. Ctrl-C ends a tail or a follow, or clears the line.
        """;

    public static async Task<int> RunAsync(CtlSession session, string target)
    {
        var interactive = !Console.IsInputRedirected && !Console.IsOutputRedirected;
        var history = CtlHistory.Load();
        var editor = new LineEditor(history, new CtlCompleter(session));
        if (interactive)
        {
            var members = await session.Client.AskAsync(new AdminProtocol.GetMembers(session.Client.Secret));
            if (members is AdminProtocol.Refused refused)
            {
                Console.Error.WriteLine($"loom ctl: error: {refused.Reason}");
                return ExitCodes.Failure;
            }
            var count = ((AdminProtocol.Members)members).All.Count;
            Console.Out.WriteLine($"connected to the cluster at {target} ({count} member{(count == 1 ? "" : "s")}). 'help' lists the commands, Tab completes, Ctrl-D leaves.");
        }
        var last = ExitCodes.Success;
        while (true)
        {
            var line = interactive ? await editor.ReadLineAsync($"loom {target}> ") : await Console.In.ReadLineAsync();
            if (line is null)
                break;
            var words = Tokenize(line);
            if (words.Count == 0)
                continue;
            if (interactive)
                history.Add(line.Trim());
            if (words[0] is "exit" or "quit")
                break;
            if (words[0] is "help" or "?")
            {
                Console.Out.WriteLine(Commands);
                continue;
            }
            using var interrupt = new InterruptScope();
            last = await session.ExecuteAsync(words, interrupt.Token);
            await Console.Out.FlushAsync();
        }
        if (interactive)
            Console.Out.WriteLine();
        return interactive ? ExitCodes.Success : last;
    }

    /// <summary>Words split at white space; single or double quotes keep spaces in one word.</summary>
    public static List<string> Tokenize(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        char? quote = null;
        foreach (var c in line)
        {
            if (quote is { } q)
            {
                if (c == q)
                    quote = null;
                else
                    word.Append(c);
            }
            else if (c is '"' or '\'')
            {
                quote = c;
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
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
        return words;
    }
}

/// <summary>The prompt's history: the last lines typed, kept across sessions.</summary>
internal sealed class CtlHistory
{
    private const int Keep = 500;
    private readonly string? path;

    private CtlHistory(string? path, List<string> lines)
    {
        this.path = path;
        Lines = lines;
    }

    public List<string> Lines { get; }

    public static CtlHistory Load()
    {
        var home = Environment.GetEnvironmentVariable("HOME");
        if (string.IsNullOrEmpty(home))
            return new CtlHistory(null, []);
        var path = Path.Combine(home, ".loom", "ctl_history");
        try
        {
            return new CtlHistory(path, File.Exists(path) ? File.ReadAllLines(path).TakeLast(Keep).ToList() : []);
        }
        catch (IOException)
        {
            return new CtlHistory(path, []);
        }
    }

    public void Add(string line)
    {
        if (Lines.Count > 0 && Lines[^1] == line)
            return;
        Lines.Add(line);
        if (path is null)
            return;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.AppendAllLines(path, [line]);
        }
        catch (IOException)
        {
            // History is a convenience: a read-only home keeps it for this session only.
        }
    }
}
