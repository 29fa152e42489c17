using Loom.Core.Watching;

namespace Loom.Core.Tests.Watching;

public sealed class ChangeRouterTests : IDisposable
{
    private const string Yaml = """
        jobs:
          build:
            inputs: ["src/**/*.cs", "!src/generated/**", "*.csproj"]
            produces: ["src/obj/**"]
            steps: [{ run: dotnet build }]
          test:
            needs: build
            inputs: ["tests/**"]
            steps: [{ run: dotnet test }]
          docs:
            steps: [{ run: make docs }]
          package:
            needs: [test, docs]
            inputs: ["pack/**"]
            steps: [{ run: make pack }]
          lint:
            inputs: ["src/**"]
            produces: ["lint-report.txt"]
            steps: [{ run: lint }]
        """;

    private readonly string workspace = Directory.CreateTempSubdirectory("loom-router-").FullName;
    private readonly ChangeRouter router;

    public ChangeRouterTests()
    {
        File.WriteAllText(Path.Combine(workspace, ".gitignore"), "bin/\n*.log\n");
        router = new ChangeRouter(WatchWorkflows.Load(Yaml), workspace, IgnoreRules.Load(workspace), ".loom.yml");
    }

    public void Dispose() => Directory.Delete(workspace, recursive: true);

    private IReadOnlyList<JobTrigger> Route(params string[] paths) => router.Route(new ChangeBatch(paths, EventsLost: false));

    private static string[] Ids(IEnumerable<JobTrigger> triggers) => triggers.Select(t => t.JobId).ToArray();

    [Fact]
    public void A_matching_input_runs_the_job_and_its_dependents_in_dependency_order()
    {
        var triggers = Route("src/app/Program.cs");

        // docs has no inputs, so any file not ignored concerns it
        Assert.Equal(["build", "test", "docs", "package", "lint"], Ids(triggers));
        Assert.Equal("build: src/app/Program.cs changed", triggers[0].ToString());
        Assert.Equal("test: src/app/Program.cs changed (needs build)", triggers[1].ToString());
        Assert.Equal(new JobTrigger("package", "src/app/Program.cs", "test"), triggers[3]);
    }

    [Fact]
    public void An_exclusion_in_inputs_leaves_the_job_out()
    {
        Assert.Equal(["docs", "package", "lint"], Ids(Route("src/generated/Api.cs")));
    }

    [Fact]
    public void A_path_matching_no_inputs_concerns_only_jobs_without_inputs()
    {
        Assert.Equal(["docs", "package"], Ids(Route("README.md")));
    }

    [Fact]
    public void Ignored_paths_and_the_workflow_file_trigger_nothing()
    {
        Assert.Empty(Route("bin/app.dll", "build.log", ".git/index", ".loom/runs/latest", ".loom.yml"));
    }

    [Fact]
    public void A_job_does_not_run_again_for_what_it_produces()
    {
        // lint-report.txt is lint's own output; docs (no inputs) still sees it
        Assert.Equal(["docs", "package"], Ids(Route("lint-report.txt")));
        Assert.Equal(["docs", "package", "lint"], Ids(Route("src/obj/app.cs")));
    }

    [Fact]
    public void Files_written_while_a_job_ran_do_not_run_it_again()
    {
        var written = new Dictionary<string, IReadOnlySet<string>>
        {
            ["docs"] = new HashSet<string> { "site/index.html" },
        };
        Assert.Empty(router.Route(new ChangeBatch(["site/index.html"], false), written));
        Assert.Equal(["docs", "package"], Ids(router.Route(new ChangeBatch(["site/other.html"], false), written)));
    }

    [Fact]
    public void Each_job_names_the_first_path_that_triggered_it()
    {
        var triggers = Route("README.md", "tests/UnitTests.cs", "src/a.cs");

        Assert.Equal(
            ["build: src/a.cs changed", "test: tests/UnitTests.cs changed", "docs: README.md changed", "package: tests/UnitTests.cs changed (needs test)", "lint: src/a.cs changed"],
            triggers.Select(t => t.ToString()));
    }

    [Fact]
    public void Lost_events_run_every_job()
    {
        var triggers = router.Route(new ChangeBatch([], EventsLost: true));

        Assert.Equal(["build", "test", "docs", "package", "lint"], Ids(triggers));
        Assert.All(triggers, t => Assert.Null(t.Path));
    }
}
