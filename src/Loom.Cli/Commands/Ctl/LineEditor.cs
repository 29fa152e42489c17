using System.Text;

namespace Loom.Cli.Commands.Ctl;

/// <summary>
/// A one-line editor for the prompt: left/right, home/end (Ctrl-A/Ctrl-E), backspace/delete, Ctrl-U, up/down through the
/// history, Tab to complete (once: the common part; twice: the choices), Ctrl-C clears the line, Ctrl-D on an empty line ends.
/// </summary>
internal sealed class LineEditor(CtlHistory history, CtlCompleter completer)
{
    public async Task<string?> ReadLineAsync(string prompt)
    {
        var buffer = new StringBuilder();
        var cursor = 0;
        var browsing = history.Lines.Count;
        var lastWasTab = false;
        var treatControlC = Console.TreatControlCAsInput;
        Console.TreatControlCAsInput = true;
        try
        {
            Redraw(prompt, buffer, cursor);
            while (true)
            {
                var key = Console.ReadKey(intercept: true);
                var tab = key.Key == ConsoleKey.Tab;
                var control = (key.Modifiers & ConsoleModifiers.Control) != 0;
                switch (key.Key)
                {
                    case ConsoleKey.Enter:
                        Console.Out.Write("\r\n");
                        return buffer.ToString();
                    case ConsoleKey.C when control:
                        Console.Out.Write("^C\r\n");
                        buffer.Clear();
                        cursor = 0;
                        break;
                    case ConsoleKey.D when control:
                        if (buffer.Length == 0)
                            return null;
                        if (cursor < buffer.Length)
                            buffer.Remove(cursor, 1);
                        break;
                    case ConsoleKey.A when control:
                    case ConsoleKey.Home:
                        cursor = 0;
                        break;
                    case ConsoleKey.E when control:
                    case ConsoleKey.End:
                        cursor = buffer.Length;
                        break;
                    case ConsoleKey.U when control:
                        buffer.Remove(0, cursor);
                        cursor = 0;
                        break;
                    case ConsoleKey.LeftArrow:
                        cursor = Math.Max(0, cursor - 1);
                        break;
                    case ConsoleKey.RightArrow:
                        cursor = Math.Min(buffer.Length, cursor + 1);
                        break;
                    case ConsoleKey.Backspace:
                        if (cursor > 0)
                            buffer.Remove(--cursor, 1);
                        break;
                    case ConsoleKey.Delete:
                        if (cursor < buffer.Length)
                            buffer.Remove(cursor, 1);
                        break;
                    case ConsoleKey.UpArrow:
                    case ConsoleKey.DownArrow:
                        browsing = Math.Clamp(browsing + (key.Key == ConsoleKey.UpArrow ? -1 : 1), 0, history.Lines.Count);
                        buffer.Clear().Append(browsing < history.Lines.Count ? history.Lines[browsing] : "");
                        cursor = buffer.Length;
                        break;
                    case ConsoleKey.Tab:
                        cursor = await CompleteAsync(prompt, buffer, cursor, showChoices: lastWasTab);
                        break;
                    default:
                        if (key.KeyChar >= ' ' && !control)
                            buffer.Insert(cursor++, key.KeyChar);
                        break;
                }
                lastWasTab = tab;
                Redraw(prompt, buffer, cursor);
            }
        }
        finally
        {
            Console.TreatControlCAsInput = treatControlC;
        }
    }

    private async Task<int> CompleteAsync(string prompt, StringBuilder buffer, int cursor, bool showChoices)
    {
        var before = buffer.ToString(0, cursor);
        IReadOnlyList<string> choices;
        try
        {
            choices = await completer.CompleteAsync(before);
        }
        catch (Exception e) when (e is TimeoutException or RefusedException)
        {
            return cursor;
        }
        var wordStart = before.LastIndexOf(' ') + 1;
        var word = before[wordStart..];
        if (choices.Count == 0)
            return cursor;
        var common = choices.Aggregate((a, b) => a[..CommonLength(a, b)]);
        var insert = choices.Count == 1 ? choices[0] + (choices[0].EndsWith('/') ? "" : " ") : common;
        if (insert.Length > word.Length || choices.Count == 1)
        {
            buffer.Remove(wordStart, word.Length).Insert(wordStart, insert);
            return wordStart + insert.Length;
        }
        if (showChoices)
        {
            Console.Out.Write("\r\n" + string.Join("  ", choices) + "\r\n");
            Redraw(prompt, buffer, cursor);
        }
        return cursor;
    }

    private static int CommonLength(string a, string b)
    {
        var n = 0;
        while (n < a.Length && n < b.Length && a[n] == b[n])
            n++;
        return n;
    }

    private static void Redraw(string prompt, StringBuilder buffer, int cursor)
    {
        var back = buffer.Length - cursor;
        Console.Out.Write($"\r{prompt}{buffer}\e[K{(back > 0 ? $"\e[{back}D" : "")}");
        Console.Out.Flush();
    }
}
