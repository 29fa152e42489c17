using Loom.Core.Model;

namespace Loom.Cli.Output;

/// <summary>ANSI colours, or nothing at all when colour is off (never escape codes off a terminal).</summary>
public sealed class Style(bool colour)
{
    private static readonly int[] JobPalette = [36, 35, 33, 32, 34, 96, 95, 93, 92, 94];

    public bool Colour { get; } = colour;

    /// <summary>A job keeps its colour for the whole run: chosen from a stable hash of its id.</summary>
    public string Job(string id, string text)
    {
        if (!Colour)
            return text;
        var hash = 2166136261u;
        foreach (var c in id)
            hash = (hash ^ c) * 16777619u;
        return $"\e[{JobPalette[hash % (uint)JobPalette.Length]}m{text}\e[0m";
    }

    public string Result(Result result, string text) => Paint(result switch
    {
        Core.Model.Result.Success => "32",
        Core.Model.Result.Failure => "31;1",
        Core.Model.Result.Cancelled => "33",
        _ => "90",
    }, text);

    public string Dim(string text) => Paint("90", text);

    public string Bold(string text) => Paint("1", text);

    private string Paint(string code, string text) => Colour ? $"\e[{code}m{text}\e[0m" : text;

    public static string Duration(TimeSpan d) =>
        d.TotalSeconds < 60 ? $"{d.TotalSeconds:0.00}s" : d.TotalMinutes < 60 ? $"{(int)d.TotalMinutes}m{d.Seconds:00}s" : $"{(int)d.TotalHours}h{d.Minutes:00}m";

    public static string Symbol(Result result) => result switch
    {
        Core.Model.Result.Success => "ok",
        Core.Model.Result.Failure => "FAIL",
        Core.Model.Result.Cancelled => "cancelled",
        _ => "skipped",
    };
}
