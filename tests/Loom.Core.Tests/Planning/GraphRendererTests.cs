using System.Text.Json;
using System.Text.RegularExpressions;
using Loom.Core.Model;
using Loom.Core.Planning;
using static Loom.Core.Tests.Planning.Workflows;

namespace Loom.Core.Tests.Planning;

public sealed class GraphRendererTests
{
    private static readonly Workflow Ci = Of(
        "CI",
        Job("restore"),
        Titled("lint", "Lint sources"),
        Titled("build-app", "Build app", "restore", "lint"),
        Job("test", "build-app"),
        Job("deploy", "test"),
        Job("docs"));

    private static string Render(Workflow workflow, GraphFormat format) =>
        GraphRenderer.Render(workflow, JobGraph.FromWorkflow(workflow), format);

    [Fact]
    public void Ascii_GroupsByLevelAndMarksTheCriticalPath()
    {
        Assert.Equal(
            """
            CI: 6 jobs, 4 levels (* = critical path)
            level 0
              * restore
                lint (Lint sources)
                docs
            level 1
              * build-app (Build app)  <- restore, lint
            level 2
              * test                   <- build-app
            level 3
              * deploy                 <- test
            critical path: restore -> build-app -> test -> deploy

            """.ReplaceLineEndings("\n"),
            Render(Ci, GraphFormat.Ascii));
    }

    [Fact]
    public void Mermaid_IsAFlowchartFromNeedToJob()
    {
        Assert.Equal(
            """
            flowchart LR
                restore_0["restore"]
                lint_1["Lint sources"]
                build_app_2["Build app"]
                test_3["test"]
                deploy_4["deploy"]
                docs_5["docs"]
                restore_0 --> build_app_2
                lint_1 --> build_app_2
                build_app_2 --> test_3
                test_3 --> deploy_4

            """.ReplaceLineEndings("\n"),
            Render(Ci, GraphFormat.Mermaid));
    }

    [Fact]
    public void Dot_IsADigraphWithQuotedIds()
    {
        Assert.Equal(
            """
            digraph "CI" {
                rankdir=LR;
                node [shape=box];
                "restore" [label="restore"];
                "lint" [label="Lint sources"];
                "build-app" [label="Build app"];
                "test" [label="test"];
                "deploy" [label="deploy"];
                "docs" [label="docs"];
                "restore" -> "build-app";
                "lint" -> "build-app";
                "build-app" -> "test";
                "test" -> "deploy";
            }

            """.ReplaceLineEndings("\n"),
            Render(Ci, GraphFormat.Dot));
    }

    [Fact]
    public void Json_HasJobsEdgesLevelsAndTheCriticalPath()
    {
        using var json = JsonDocument.Parse(Render(Ci, GraphFormat.Json));
        var root = json.RootElement;

        Assert.Equal("CI", root.GetProperty("name").GetString());
        var jobs = root.GetProperty("jobs").EnumerateArray().ToArray();
        Assert.Equal(["restore", "lint", "build-app", "test", "deploy", "docs"], jobs.Select(j => j.GetProperty("id").GetString()));
        var build = jobs[2];
        Assert.Equal("Build app", build.GetProperty("name").GetString());
        Assert.Equal(["restore", "lint"], build.GetProperty("needs").EnumerateArray().Select(n => n.GetString()));
        Assert.Equal([0, 0, 1, 2, 3, 0], jobs.Select(j => j.GetProperty("level").GetInt32()));
        var edges = root.GetProperty("edges").EnumerateArray().Select(e => $"{e.GetProperty("from").GetString()}->{e.GetProperty("to").GetString()}");
        Assert.Equal(["restore->build-app", "lint->build-app", "build-app->test", "test->deploy"], edges);
        Assert.Equal(["restore", "build-app", "test", "deploy"], root.GetProperty("criticalPath").EnumerateArray().Select(n => n.GetString()));
    }

    [Fact]
    public void Json_KeepsNonAsciiAndQuotesRoundTripping()
    {
        var workflow = Of("Qualité \"main\"", Titled("build", "Compilé <vite> & \"bien\""));

        var text = Render(workflow, GraphFormat.Json);

        Assert.Contains("Compilé", text);
        using var json = JsonDocument.Parse(text);
        Assert.Equal("Qualité \"main\"", json.RootElement.GetProperty("name").GetString());
        Assert.Equal("Compilé <vite> & \"bien\"", json.RootElement.GetProperty("jobs")[0].GetProperty("name").GetString());
    }

    [Fact]
    public void Mermaid_NodeIdsAreSafeAndDistinctForAnyJobId()
    {
        string[] ids = ["a-b", "a_b", "a b", "end", "o", "x-1", "1", "--", "a-->b", "ü"];
        var workflow = Of("w", ids.Select((id, i) => Job(id, i == 0 ? [] : [ids[i - 1]])).ToArray());

        var lines = Render(workflow, GraphFormat.Mermaid).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        var nodes = lines.Skip(1).Take(ids.Length).Select(line => Regex.Match(line, @"^    ([A-Za-z0-9_]+)\[""[^""]*""\]$")).ToArray();
        Assert.All(nodes, match => Assert.True(match.Success));
        var nodeIds = nodes.Select(m => m.Groups[1].Value).ToArray();
        Assert.Equal(ids.Length, nodeIds.Distinct().Count());
        Assert.Equal("end_3", nodeIds[3]);
        Assert.All(lines.Skip(1 + ids.Length), edge => Assert.Matches(@"^    [A-Za-z0-9_]+ --> [A-Za-z0-9_]+$", edge));
    }

    [Fact]
    public void Mermaid_LabelsEscapeWhatMermaidWouldParse()
    {
        var workflow = Of("w", Titled("a", "say \"hi\" <b> #1 & `x` [y]\nnext"));

        var text = Render(workflow, GraphFormat.Mermaid);

        Assert.Contains("a_0[\"say #34;hi#34; #60;b#62; #35;1 #38; #96;x#96; #91;y#93; next\"]", text);
    }

    [Fact]
    public void Dot_EscapesQuotesBackslashesAndNewlines()
    {
        var workflow = Of("say \"hi\"", Titled("q\"q", "two\nlines"), Job("back\\", "q\"q"));

        var text = Render(workflow, GraphFormat.Dot);

        Assert.StartsWith("digraph \"say \\\"hi\\\"\" {\n", text);
        Assert.Contains("    \"q\\\"q\" [label=\"two\\nlines\"];\n", text);
        Assert.Contains("    \"q\\\"q\" -> \"back\\\\\";\n", text);
    }

    [Fact]
    public void Ascii_ReplacesControlCharactersSoAFileCannotDriveTheTerminal()
    {
        var workflow = Of("w\u001b[2J", Titled("a", "red\u001b[31m"), Job("b\u0007", "a"));

        var text = Render(workflow, GraphFormat.Ascii);

        Assert.All(text.Where(char.IsControl), c => Assert.Equal('\n', c));
        Assert.Contains("a (red?[31m)", text);
        Assert.Contains("b?", text);
    }

    [Fact]
    public void Ascii_LongCriticalPathShowsItsEnds()
    {
        var workflow = Of("chain", Enumerable.Range(0, 30).Select(i => i == 0 ? Job("j0") : Job($"j{i}", $"j{i - 1}")).ToArray());

        var last = Render(workflow, GraphFormat.Ascii).Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];

        Assert.Equal("critical path: j0 -> j1 -> j2 -> j3 -> j4 -> ... 20 more ... -> j25 -> j26 -> j27 -> j28 -> j29 (30 jobs)", last);
    }

    [Fact]
    public void Ascii_EmptyWorkflow_SaysSo()
    {
        Assert.Equal("empty: 0 jobs, 0 levels\n", Render(Of("empty"), GraphFormat.Ascii));
    }

    [Fact]
    public void Render_Subgraph_FindsTitlesById()
    {
        var graph = JobGraph.FromWorkflow(Ci);
        var sub = graph.Subgraph(graph.Closure([graph.IndexOf("build-app")]));

        var text = GraphRenderer.Render(Ci, sub, GraphFormat.Mermaid);

        Assert.Contains("lint_1[\"Lint sources\"]", text);
        Assert.Contains("build_app_2[\"Build app\"]", text);
        Assert.DoesNotContain("test", text);
    }

    [Fact]
    public void Render_GraphOfAnotherWorkflow_Throws()
    {
        var other = JobGraph.FromWorkflow(Of("other", Job("elsewhere")));

        Assert.Throws<ArgumentException>(() => GraphRenderer.Render(Ci, other, GraphFormat.Ascii));
    }

    [Fact]
    public void Render_ThousandJobs_GrowsWithJobsAndNeedsOnly()
    {
        const int count = 1000;
        var random = new Random(7);
        var jobs = Enumerable.Range(0, count)
            .Select(i => Job($"job-{i}", Enumerable.Range(0, i == 0 ? 0 : random.Next(4)).Select(_ => $"job-{random.Next(i)}").ToArray()))
            .ToArray();
        var workflow = Of("big", jobs);
        var graph = JobGraph.FromWorkflow(workflow);
        var edges = Enumerable.Range(0, count).Sum(i => graph.NeedsOf(i).Count);
        var levels = graph.Levels().Max() + 1;

        Assert.Equal(1 + levels + count + 1, Lines(GraphFormat.Ascii));
        Assert.Equal(1 + count + edges, Lines(GraphFormat.Mermaid));
        Assert.Equal(4 + count + edges, Lines(GraphFormat.Dot));
        // Every Ascii line is at most the padded label plus its own needs.
        var longest = GraphRenderer.Render(workflow, graph, GraphFormat.Ascii).Split('\n').Max(line => line.Length);
        Assert.True(longest < 200, $"longest line {longest}");

        int Lines(GraphFormat format) => GraphRenderer.Render(workflow, graph, format).Count(c => c == '\n');
    }
}
