using System.Text.Json;
using System.Text.RegularExpressions;
using Loom.Actors.Tests.Persistence;
using Loom.Web.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Loom.Web.Tests;

/// <summary>A test that needs PostgreSQL: skipped with the reason unless tests/run.sh started a server (which also makes it required).</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute() => Skip = TestPostgres.SkipReason;
}

/// <summary>The view of a <c>loom serve</c> node: the cluster's runs from PostgreSQL, their logs from the central store, the members.</summary>
[Collection(BrowserCollection.Name)]
public sealed partial class NodeTests(BrowserFixture browser)
{
    [PostgresFact]
    public async Task A_node_shows_the_cluster_and_a_run_submitted_to_it_live_with_its_log()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        using var workspace = new WebWorkspace();
        var nodeFolder = Path.Combine(workspace.Root, "..", Path.GetFileName(workspace.Root) + "-node");
        var node = workspace.Start("serve", "--port", "0", "--ui-port", "0", "--workspace", nodeFolder, "--db", database.ConnectionString,
            "--labels", "linux,gpu", "--capacity", "2");
        Uri? url = null;
        Match? started = null;
        await WebWorkspace.Until(() => (url = WebWorkspace.UrlIn(node.Stderr)) is not null && (started = NodeLine().Match(node.Stderr)).Success,
            "the node to start with its web view", () => node.Stderr);
        using var web = new ViewClient(url!);

        // The view serves from the node's start; the node is a member once it has joined itself.
        await WebWorkspace.Until(() => web.GetAsync("/api/cluster").Result.GetProperty("members").EnumerateArray()
            .Any(m => m.GetProperty("status").GetString() == "Up"), "the node to be up", () => node.Stderr);
        var cluster = await web.GetAsync("/api/cluster");
        var member = cluster.GetProperty("members").EnumerateArray().Single();
        Assert.Equal(["gpu", "linux"], member.GetProperty("labels").EnumerateArray().Select(l => l.GetString()));
        Assert.Equal(2, member.GetProperty("capacity").GetInt32());
        Assert.True(member.GetProperty("isSelf").GetBoolean());

        var page = await browser.PageAsync();
        await page.GotoAsync(new Uri(url!, "/cluster").ToString());
        await Expect(page.Locator("table.members tbody tr")).ToHaveCountAsync(1);
        await Expect(page.Locator("table.members tbody tr td").Nth(2)).ToHaveTextAsync("gpu, linux");
        await BrowserFixture.ShotAsync(page, "node-cluster-page");

        await page.GotoAsync(url!.ToString());
        workspace.Write(".loom.yml", $$"""
            name: on the cluster
            jobs:
              prepare:
                steps:
                  - run: echo preparing
              work:
                needs: prepare
                runs-on: linux
                steps:
                  - name: Work
                    run: |
                      echo "working on $(hostname)"
                      {{workspace.WaitStep("work")}}
                      echo "work is done"
            """);
        var submit = workspace.Start("run", "--cluster", $"127.0.0.1:{started!.Groups[1].Value}", "--plain");
        await workspace.WaitStartedAsync("work");
        var row = page.Locator("tr.run");
        await Expect(row).ToHaveCountAsync(1);
        await row.Locator("a").ClickAsync();
        var job = page.Locator("g.node[data-job='work']");
        await Expect(job).ToHaveClassAsync(new Regex("s-running"));
        workspace.Open("work");
        await Expect(job).ToHaveClassAsync(new Regex("s-success"));
        await Expect(page.Locator(".headline .badge")).ToHaveTextAsync("succeeded");
        Assert.Equal(0, await submit.WaitAsync());
        await BrowserFixture.ShotAsync(page, "node-run-page");

        await page.Locator("table.jobs a", new() { HasText = "work" }).ClickAsync();
        await Expect(page.Locator("pre.log")).ToContainTextAsync("work is done");
        await Expect(page.GetByText("— end of log —")).ToBeVisibleAsync();
        var runs = await web.GetAsync("/api/runs");
        Assert.Equal("success", runs.EnumerateArray().Single().GetProperty("state").GetString());

        node.Signal("TERM");
        Assert.Equal(0, await node.WaitAsync());
        try
        {
            Directory.Delete(nodeFolder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [GeneratedRegex(@"loom serve: node akka\.tcp://loom@127\.0\.0\.1:(\d+) ")]
    private static partial Regex NodeLine();
}
