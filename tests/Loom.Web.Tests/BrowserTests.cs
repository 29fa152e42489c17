using Loom.Web.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Loom.Web.Tests;

/// <summary>The pages in a real browser (Debian's chromium through Playwright), against real <c>loom</c> processes.</summary>
[Collection(BrowserCollection.Name)]
public sealed class BrowserTests(BrowserFixture browser)
{
    [Fact]
    public async Task A_run_started_while_the_runs_page_is_open_shows_up_and_its_job_turns_from_running_to_succeeded()
    {
        using var workspace = new WebWorkspace();
        workspace.Write(".loom.yml", "name: first\njobs:\n  hello:\n    steps:\n      - run: echo hello\n");
        workspace.Write("build.yml", $$$"""
            name: build
            jobs:
              restore:
                steps:
                  - run: echo restoring
              compile:
                needs: restore
                strategy:
                  matrix:
                    os: [linux, windows]
                steps:
                  - run: echo "compiling for ${{ matrix.os }}"
              build:
                needs: compile
                steps:
                  - name: Build
                    run: |
                      echo "hello from build"
                      {{{workspace.WaitStep("build")}}}
                      echo "build is done"
              publish:
                needs: build
                steps:
                  - run: echo published
            """);
        var (view, url) = await workspace.StartWithUiAsync("run", "--plain");
        await WebWorkspace.Until(() => view.Stderr.Contains("the web view stays at"), "the first run to end", () => view.Stderr);
        var page = await browser.PageAsync();
        await page.GotoAsync(url.ToString());
        await Expect(page.Locator("tr.run")).ToHaveCountAsync(1);

        // Started now, by another loom of the workspace: the open page lists it without a reload.
        var build = workspace.Start("run", "build.yml", "--plain");
        await workspace.WaitStartedAsync("build");
        var row = page.Locator("tr.run", new() { HasText = "build" });
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row.Locator(".badge")).ToHaveTextAsync("running");
        await BrowserFixture.ShotAsync(page, "runs-page");

        // Its run page: the DAG with the job running, matrix cells grouped in their job.
        await row.Locator("a").ClickAsync();
        var node = page.Locator("g.node[data-job='build']");
        await Expect(node).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("s-running"));
        await Expect(page.Locator("g.node[data-job='compile'] a.cell")).ToHaveCountAsync(2);
        await Expect(page.Locator("g.node[data-job='compile']")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("s-success"));
        await BrowserFixture.ShotAsync(page, "run-page-running");

        workspace.Open("build");
        await Expect(node).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("s-success"));
        await Expect(page.Locator(".headline .badge")).ToHaveTextAsync("succeeded");
        await Expect(page.Locator("path.edge.critical")).Not.ToHaveCountAsync(0);
        await BrowserFixture.ShotAsync(page, "run-page-succeeded");
        Assert.Equal(0, await build.WaitAsync());

        // The job's log, reached with the keyboard.
        await page.Locator("table.jobs a", new() { HasText = "build" }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("h1")).ToHaveTextAsync("build");
        await Expect(page.Locator("pre.log")).ToContainTextAsync("hello from build");
        await Expect(page.Locator("pre.log")).ToContainTextAsync("build is done");
        await Expect(page.Locator("table.steps tbody tr")).ToHaveCountAsync(1);
        await Expect(page.Locator("table.steps tbody tr td").Nth(4)).ToHaveTextAsync("0");
        await BrowserFixture.ShotAsync(page, "job-page");

        view.Signal("INT");
        Assert.Equal(0, await view.WaitAsync());
    }

    [Fact]
    public async Task A_job_log_streams_as_it_is_written_and_the_run_is_cancelled_from_its_page_on_a_narrow_window()
    {
        using var workspace = new WebWorkspace();
        workspace.Write(".loom.yml", $$"""
            name: long
            jobs:
              talk:
                steps:
                  - name: Talk
                    run: |
                      echo "::error file=src/app.cs,line=7::something is off"
                      echo "first line"
                      {{workspace.WaitStep("talk")}}
                      echo "second line"
                      {{workspace.WaitStep("never")}}
              after:
                needs: talk
                steps:
                  - run: echo never printed
            """);
        var (view, url) = await workspace.StartWithUiAsync("run", "--plain");
        await workspace.WaitStartedAsync("talk");
        var page = await browser.PageAsync(width: 400, height: 800);
        await page.GotoAsync(url.ToString());
        await page.Locator("tr.run a").ClickAsync();
        await page.Locator("table.jobs a", new() { HasText = "talk" }).ClickAsync();
        var log = page.Locator("pre.log");
        await Expect(log).ToContainTextAsync("first line");
        await Expect(page.Locator("ul.annotations li.error")).ToContainTextAsync("something is off (src/app.cs:7)");
        workspace.Open("talk");
        await Expect(log).ToContainTextAsync("second line");
        await BrowserFixture.ShotAsync(page, "job-page-live-narrow");

        await page.Locator(".crumbs a").Nth(1).ClickAsync();
        var cancel = page.GetByRole(AriaRole.Button, new() { Name = "Cancel run" });
        await cancel.ClickAsync();
        await Expect(page.Locator(".headline .badge")).ToHaveTextAsync("cancelled");
        await Expect(page.Locator("g.node[data-job='talk']")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("s-cancelled"));
        await Expect(cancel).ToBeHiddenAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Retry failed jobs" })).ToBeVisibleAsync();
        await BrowserFixture.ShotAsync(page, "run-page-cancelled-narrow");

        // The run ended cancelled (exit code 1 once the view is closed), not interrupted by a signal.
        view.Signal("INT");
        Assert.Equal(1, await view.WaitAsync());
    }
}
