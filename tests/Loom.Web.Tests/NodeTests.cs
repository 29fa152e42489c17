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

    [Fact]
    public async Task A_node_view_on_a_non_loopback_address_asks_for_the_cluster_secret_and_logs_each_refusal()
    {
        using var workspace = new WebWorkspace();
        var secretFile = Path.Combine(workspace.Root, "..", Path.GetFileName(workspace.Root) + "-secret");
        File.WriteAllText(secretFile, "the secret of this cluster\n");
        var nodeFolder = Path.Combine(workspace.Root, "..", Path.GetFileName(workspace.Root) + "-node");
        // Without the secret a view on every address is refused at start.
        var refused = workspace.Start("serve", "--port", "0", "--ui-port", "0", "--ui-host", "0.0.0.0", "--workspace", nodeFolder);
        Assert.Equal(2, await refused.WaitAsync());
        Assert.Contains("unless the node has a cluster secret", refused.Stderr);

        var node = workspace.Start("serve", "--port", "0", "--ui-port", "0", "--ui-host", "0.0.0.0", "--workspace", nodeFolder, "--cluster-secret-file", secretFile);
        Uri? bound = null;
        await WebWorkspace.Until(() => (bound = WebWorkspace.UrlIn(node.Stderr)) is not null, "the node to start with its web view", () => node.Stderr);
        var url = new Uri($"http://127.0.0.1:{bound!.Port}/");
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true }) { BaseAddress = url };

        // No secret: the API says so (401) and a page sends the browser to sign in.
        var anonymous = await http.GetAsync("/api/runs");
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Contains("needs the cluster secret", await anonymous.Content.ReadAsStringAsync());
        Assert.Equal("/login", (await http.GetAsync("/")).Headers.Location?.ToString());

        // A wrong secret as a bearer token: refused and logged, without what was presented.
        using (var wrong = new HttpRequestMessage(HttpMethod.Get, "/api/runs"))
        {
            wrong.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "not the secret at all");
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await http.SendAsync(wrong)).StatusCode);
        }
        await WebWorkspace.Until(() => node.Stderr.Contains("Refused GET /api/runs from ", StringComparison.Ordinal), "the refusal in the node's log", () => node.Stderr);
        Assert.DoesNotContain("not the secret at all", node.Stderr);
        using (var right = new HttpRequestMessage(HttpMethod.Get, "/api/runs"))
        {
            right.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "the secret of this cluster");
            Assert.Equal(System.Net.HttpStatusCode.OK, (await http.SendAsync(right)).StatusCode);
        }

        // In a browser: the sign-in page, a wrong secret, then the right one and the runs page.
        var page = await browser.PageAsync();
        await page.GotoAsync(url.ToString());
        await Expect(page).ToHaveURLAsync(new Regex("/login$"));
        await page.Locator("#secret").FillAsync("a guess of someone else");
        await page.Locator("button[type=submit]").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("That is not the cluster's secret.");
        await BrowserFixture.ShotAsync(page, "node-sign-in");
        await page.Locator("#secret").FillAsync("the secret of this cluster");
        await page.Locator("button[type=submit]").ClickAsync();
        await Expect(page.Locator("#cluster-link")).ToBeVisibleAsync();

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
