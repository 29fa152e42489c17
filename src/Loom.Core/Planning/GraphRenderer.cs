using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Loom.Core.Model;

namespace Loom.Core.Planning;

/// <summary>
/// Draws a job graph (<c>loom graph</c>). The graph may be a <see cref="JobGraph.Subgraph"/>: jobs are
/// matched to the workflow by id. Every format is linear in jobs plus needs, and ends with a newline.
/// </summary>
public static class GraphRenderer
{
    /// <summary>Ascii pads ids to line up the needs, but no further than this, so one long id cannot push every line off screen.</summary>
    private const int MaxAsciiColumn = 40;

    /// <summary>Ascii shows a longer critical path by its ends; the <c>*</c> marks still show all of it.</summary>
    private const int MaxAsciiPathShown = 10;

    public static string Render(Workflow workflow, JobGraph graph, GraphFormat format)
    {
        ArgumentNullException.ThrowIfNull(workflow);
        ArgumentNullException.ThrowIfNull(graph);
        var view = new View(workflow, graph);
        return format switch
        {
            GraphFormat.Ascii => Ascii(view),
            GraphFormat.Mermaid => Mermaid(view),
            GraphFormat.Dot => Dot(view),
            GraphFormat.Json => Json(view),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
        };
    }

    /// <summary>What every format needs, computed once.</summary>
    private sealed class View
    {
        public View(Workflow workflow, JobGraph graph)
        {
            Name = workflow.Name;
            Graph = graph;
            var byId = new Dictionary<string, Job>(workflow.Jobs.Count, StringComparer.Ordinal);
            foreach (var job in workflow.Jobs)
                byId.TryAdd(job.Id, job);
            Titles = new string[graph.Count];
            for (var i = 0; i < graph.Count; i++)
                Titles[i] = byId.TryGetValue(graph.IdOf(i), out var job)
                    ? job.Title
                    : throw new ArgumentException($"job '{graph.IdOf(i)}' is not in workflow '{workflow.Name}'", nameof(graph));
            Levels = graph.Levels();
            CriticalPath = graph.CriticalPath(_ => 1);
        }

        public string Name { get; }
        public JobGraph Graph { get; }
        public string[] Titles { get; }
        public IReadOnlyList<int> Levels { get; }
        public IReadOnlyList<int> CriticalPath { get; }
    }

    /// <summary>
    /// One line per job, grouped by level, its needs after <c>&lt;-</c>; <c>*</c> marks the longest chain:
    /// <code>
    /// level 1
    ///   * build (Build app)  &lt;- restore, lint
    /// </code>
    /// </summary>
    private static string Ascii(View view)
    {
        var graph = view.Graph;
        var labels = new string[graph.Count];
        var column = 0;
        for (var i = 0; i < graph.Count; i++)
        {
            var id = Printable(graph.IdOf(i));
            labels[i] = view.Titles[i] == graph.IdOf(i) ? id : $"{id} ({Printable(view.Titles[i])})";
            if (graph.NeedsOf(i).Count > 0)
                column = Math.Max(column, Math.Min(labels[i].Length, MaxAsciiColumn));
        }

        // Bucket by level in index order: O(V), not a scan of all jobs per level.
        var levelCount = graph.Count == 0 ? 0 : view.Levels.Max() + 1;
        var byLevel = new List<int>[levelCount];
        for (var l = 0; l < levelCount; l++)
            byLevel[l] = [];
        for (var i = 0; i < graph.Count; i++)
            byLevel[view.Levels[i]].Add(i);
        var critical = new bool[graph.Count];
        foreach (var job in view.CriticalPath)
            critical[job] = true;

        var text = new StringBuilder();
        text.Append(Printable(view.Name)).Append(": ").Append(Count(graph.Count, "job")).Append(", ").Append(Count(levelCount, "level"));
        if (graph.Count > 0)
            text.Append(" (* = critical path)");
        text.Append('\n');
        for (var l = 0; l < levelCount; l++)
        {
            text.Append("level ").Append(l).Append('\n');
            foreach (var job in byLevel[l])
            {
                text.Append(critical[job] ? "  * " : "    ");
                var needs = graph.NeedsOf(job);
                if (needs.Count == 0)
                {
                    text.Append(labels[job]).Append('\n');
                    continue;
                }
                text.Append(labels[job].PadRight(column)).Append("  <- ");
                for (var n = 0; n < needs.Count; n++)
                    text.Append(n == 0 ? "" : ", ").Append(Printable(graph.IdOf(needs[n])));
                text.Append('\n');
            }
        }
        if (view.CriticalPath.Count > 0)
            text.Append("critical path: ").Append(PathSummary(graph, view.CriticalPath)).Append('\n');
        return text.ToString();
    }

    private static string PathSummary(JobGraph graph, IReadOnlyList<int> path)
    {
        if (path.Count <= MaxAsciiPathShown)
            return string.Join(" -> ", path.Select(job => Printable(graph.IdOf(job))));
        var half = MaxAsciiPathShown / 2;
        var head = path.Take(half).Select(job => Printable(graph.IdOf(job)));
        var tail = path.Skip(path.Count - half).Select(job => Printable(graph.IdOf(job)));
        return $"{string.Join(" -> ", head)} -> ... {path.Count - 2 * half} more ... -> {string.Join(" -> ", tail)} ({Count(path.Count, "job")})";
    }

    private static string Count(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";

    /// <summary>A workflow file must not be able to send escape sequences to the terminal.</summary>
    private static string Printable(string text) =>
        text.Any(char.IsControl) ? string.Concat(text.Select(c => char.IsControl(c) ? '?' : c)) : text;

    /// <summary>
    /// Node ids are the job id reduced to letters, digits and <c>_</c>, then <c>_index</c>: hyphens and
    /// spaces would be read as edges or break the line, bare <c>end</c> is a keyword, and the index keeps
    /// <c>a-b</c> and <c>a_b</c> apart. The title is a quoted label with entity codes for what Mermaid would parse.
    /// </summary>
    private static string Mermaid(View view)
    {
        var graph = view.Graph;
        var nodes = new string[graph.Count];
        var text = new StringBuilder("flowchart LR\n");
        for (var i = 0; i < graph.Count; i++)
        {
            nodes[i] = MermaidNode(graph.IdOf(i), i);
            text.Append("    ").Append(nodes[i]).Append("[\"").Append(MermaidLabel(view.Titles[i])).Append("\"]\n");
        }
        for (var i = 0; i < graph.Count; i++)
            foreach (var need in graph.NeedsOf(i))
                text.Append("    ").Append(nodes[need]).Append(" --> ").Append(nodes[i]).Append('\n');
        return text.ToString();
    }

    private static string MermaidNode(string id, int index)
    {
        var node = new StringBuilder(id.Length + 8);
        foreach (var c in id)
            node.Append(char.IsAsciiLetterOrDigit(c) ? c : '_');
        return node.Append('_').Append(index).ToString();
    }

    private static string MermaidLabel(string title)
    {
        var label = new StringBuilder(title.Length);
        foreach (var c in title)
        {
            if (c is '"' or '#' or '&' or '<' or '>' or '`' or '[' or ']' or '{' or '}' or '|')
                label.Append('#').Append((int)c).Append(';');
            else
                label.Append(char.IsControl(c) ? ' ' : c);
        }
        return label.ToString();
    }

    /// <summary>
    /// Ids are quoted as they are. Every node gets a label, even one equal to its id: Graphviz takes a name
    /// starting with <c>%</c> as anonymous and would otherwise show <c>%3</c>.
    /// </summary>
    private static string Dot(View view)
    {
        var graph = view.Graph;
        var text = new StringBuilder();
        text.Append("digraph ").Append(DotQuote(view.Name)).Append(" {\n");
        text.Append("    rankdir=LR;\n");
        text.Append("    node [shape=box];\n");
        for (var i = 0; i < graph.Count; i++)
        {
            text.Append("    ").Append(DotQuote(graph.IdOf(i))).Append(" [label=").Append(DotQuote(view.Titles[i])).Append("];\n");
        }
        for (var i = 0; i < graph.Count; i++)
            foreach (var need in graph.NeedsOf(i))
                text.Append("    ").Append(DotQuote(graph.IdOf(need))).Append(" -> ").Append(DotQuote(graph.IdOf(i))).Append(";\n");
        text.Append("}\n");
        return text.ToString();
    }

    /// <summary>
    /// A DOT quoted string. Backslashes are doubled so none can escape the closing quote; line breaks
    /// become <c>\n</c>, which a label shows as a new line.
    /// </summary>
    private static string DotQuote(string value)
    {
        var quoted = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': quoted.Append("\\\""); break;
                case '\\': quoted.Append("\\\\"); break;
                case '\n': quoted.Append("\\n"); break;
                default: quoted.Append(char.IsControl(c) ? ' ' : c); break;
            }
        }
        return quoted.Append('"').ToString();
    }

    private static string Json(View view)
    {
        var graph = view.Graph;
        var buffer = new ArrayBufferWriter<byte>();
        // Relaxed: keep non-ASCII titles readable; the output is JSON for tools, never embedded in HTML.
        var options = new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        using (var json = new Utf8JsonWriter(buffer, options))
        {
            json.WriteStartObject();
            json.WriteString("name", view.Name);
            json.WriteStartArray("jobs");
            for (var i = 0; i < graph.Count; i++)
            {
                json.WriteStartObject();
                json.WriteString("id", graph.IdOf(i));
                json.WriteString("name", view.Titles[i]);
                json.WriteStartArray("needs");
                foreach (var need in graph.NeedsOf(i))
                    json.WriteStringValue(graph.IdOf(need));
                json.WriteEndArray();
                json.WriteNumber("level", view.Levels[i]);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteStartArray("edges");
            for (var i = 0; i < graph.Count; i++)
                foreach (var need in graph.NeedsOf(i))
                {
                    json.WriteStartObject();
                    json.WriteString("from", graph.IdOf(need));
                    json.WriteString("to", graph.IdOf(i));
                    json.WriteEndObject();
                }
            json.WriteEndArray();
            json.WriteStartArray("criticalPath");
            foreach (var job in view.CriticalPath)
                json.WriteStringValue(graph.IdOf(job));
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan) + "\n";
    }
}
