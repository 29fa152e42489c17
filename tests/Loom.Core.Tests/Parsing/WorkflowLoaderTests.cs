using Loom.Core.Diagnostics;
using Loom.Core.Model;
using Loom.Core.Parsing;

namespace Loom.Core.Tests.Parsing;

public sealed class WorkflowLoaderTests
{
    private const string Full = """
        name: ci
        run-name: ignored
        on: push
        permissions: read-all
        x-shared: &shared { a: [1, 2] }
        env:
          DOTNET_NOLOGO: "1"
          NUMBER: 1
          FLAG: true
          QUOTED: 'true'
          EMPTY:
        defaults:
          run:
            shell: bash
            working-directory: src
        max-parallel: 4
        jobs:
          restore:
            steps:
              - run: dotnet restore
          build:
            name: Build it
            runs-on: [linux, x64]
            needs: restore
            if: ${{ success() }}
            env: { CONFIGURATION: Release, A: 1 }
            defaults: { run: { shell: sh, working-directory: app } }
            timeout-minutes: 0.05
            continue-on-error: true
            permissions: write-all
            x-note: *shared
            steps:
              - id: ver
                name: Compute version
                run: echo "version=1.2.3" >> "$LOOM_OUTPUT"
                shell: python
                working-directory: tools
                env: { B: b, C: 2.50 }
                if: ${{ always() }}
                timeout-minutes: 2
                continue-on-error: true
                x-foo: 1
              - run: |
                  make
                  make test
          test:
            runs-on: linux
            needs: [restore, build, build]
            if: failure() || cancelled()
            steps:
              - run: make test
        """;

    [Fact]
    public void Full_workflow_reads_every_field()
    {
        var result = WorkflowLoader.Load("ci/.loom.yml", Full);

        Assert.Empty(result.Errors);
        var workflow = Assert.IsType<Workflow>(result.Workflow);
        Assert.Equal("ci", workflow.Name);
        Assert.Equal("ci/.loom.yml", workflow.FilePath);
        Assert.Equal(
            new Dictionary<string, string> { ["DOTNET_NOLOGO"] = "1", ["NUMBER"] = "1", ["FLAG"] = "true", ["QUOTED"] = "true", ["EMPTY"] = "" },
            workflow.Env);
        Assert.Equal(new RunDefaults("bash", "src"), workflow.Defaults);
        Assert.Equal(4, workflow.MaxParallel);
        Assert.Equal(["restore", "build", "test"], workflow.Jobs.Select(j => j.Id));

        var restore = workflow["restore"];
        Assert.Null(restore.DisplayName);
        Assert.Empty(restore.Needs);
        Assert.Empty(restore.RunsOn);
        Assert.Equal(Condition.Default.Text, restore.If.Text);
        Assert.Empty(restore.Env);
        Assert.Equal(RunDefaults.None, restore.Defaults);
        Assert.Equal(Job.DefaultTimeoutMinutes, restore.TimeoutMinutes.Value);
        Assert.False(restore.ContinueOnError.Value);
        Assert.Equal(new SourceLocation(18, 3), restore.Location);
        var restoreStep = Assert.Single(restore.Steps);
        Assert.Equal("dotnet restore", restoreStep.Run);
        Assert.Equal(0, restoreStep.Index);
        Assert.Null(restoreStep.Id);
        Assert.Null(restoreStep.TimeoutMinutes);
        Assert.Equal(Condition.Default.Text, restoreStep.If.Text);

        var build = workflow["build"];
        Assert.Equal("Build it", build.DisplayName);
        Assert.Equal(["linux", "x64"], build.RunsOn);
        Assert.Equal(["restore"], build.Needs);
        Assert.Equal("success()", build.If.Text);
        Assert.Equal(new Dictionary<string, string> { ["CONFIGURATION"] = "Release", ["A"] = "1" }, build.Env);
        Assert.Equal(new RunDefaults("sh", "app"), build.Defaults);
        Assert.Equal(0.05, build.TimeoutMinutes.Value);
        Assert.True(build.ContinueOnError.Value);
        Assert.Equal(new SourceLocation(21, 3), build.Location);
        Assert.Equal(2, build.Steps.Count);

        var ver = build.Steps[0];
        Assert.Equal(0, ver.Index);
        Assert.Equal("ver", ver.Id);
        Assert.Equal("Compute version", ver.Name);
        Assert.Equal("echo \"version=1.2.3\" >> \"$LOOM_OUTPUT\"", ver.Run);
        Assert.Equal("python", ver.Shell);
        Assert.Equal("tools", ver.WorkingDirectory);
        Assert.Equal(new Dictionary<string, string> { ["B"] = "b", ["C"] = "2.50" }, ver.Env);
        Assert.Equal("always()", ver.If.Text);
        Assert.Equal(2, ver.TimeoutMinutes!.Value.Value);
        Assert.True(ver.ContinueOnError.Value);
        Assert.Equal(new SourceLocation(33, 9), ver.Location);

        var make = build.Steps[1];
        Assert.Equal(1, make.Index);
        Assert.Equal("make\nmake test\n", make.Run);
        Assert.Null(make.Shell);
        Assert.False(make.ContinueOnError.Value);

        var test = workflow["test"];
        Assert.Equal(["linux"], test.RunsOn);
        Assert.Equal(["restore", "build"], test.Needs);
        Assert.Equal("failure() || cancelled()", test.If.Text);
        Assert.True(test.If.UsesStatusFunction);
    }

    [Theory]
    [InlineData("ci/.loom.yml", "ci")]
    [InlineData("ci/build.yml", "ci/build.yml")]
    [InlineData("./workflows/x.loom.yml", "./workflows/x.loom.yml")]
    public void Name_defaults_to_the_folder_for_loom_yml_else_the_path(string path, string name)
    {
        var result = WorkflowLoader.Load(path, "jobs: { a: { steps: [ { run: x } ] } }");

        Assert.Equal(name, result.Workflow!.Name);
    }

    [Fact]
    public void A_bare_loom_yml_is_named_after_the_current_folder()
    {
        var result = WorkflowLoader.Load(".loom.yml", "jobs: { a: { steps: [ { run: x } ] } }");

        Assert.Equal(Path.GetFileName(Directory.GetCurrentDirectory()), result.Workflow!.Name);
    }

    [Fact]
    public void A_loom_yml_loaded_elsewhere_is_named_after_the_folder_it_was_submitted_from()
    {
        // A cluster's coordinator loads the submitter's text: the submitter's folder names it, not the coordinator's.
        var result = WorkflowLoader.Load(".loom.yml", "jobs: { a: { steps: [ { run: x } ] } }", filePath: "/home/me/project/.loom.yml");

        Assert.Equal("project", result.Workflow!.Name);
        Assert.Equal(".loom.yml", result.Workflow.FilePath);
        Assert.Equal("ci.yml", WorkflowLoader.Load("ci.yml", "jobs: { a: { steps: [ { run: x } ] } }", filePath: "/home/me/project/ci.yml").Workflow!.Name);
    }

    [Fact]
    public void Flow_scalars_keep_their_text_and_null_values_count_as_absent()
    {
        var result = WorkflowLoader.Load("w.yml", """
            name:
            env: { A: 1, B: true, C: "x", D: 0x1F, E: ~ }
            defaults:
            jobs:
              a:
                name: ~
                needs:
                runs-on:
                timeout-minutes:
                steps: [ { run: "echo hi", if: } ]
            """);

        Assert.Empty(result.Errors);
        var workflow = result.Workflow!;
        Assert.Equal("w.yml", workflow.Name);
        Assert.Equal(new Dictionary<string, string> { ["A"] = "1", ["B"] = "true", ["C"] = "x", ["D"] = "0x1F", ["E"] = "" }, workflow.Env);
        Assert.Null(workflow.Jobs[0].DisplayName);
        Assert.Empty(workflow.Jobs[0].Needs);
        Assert.Equal(Job.DefaultTimeoutMinutes, workflow.Jobs[0].TimeoutMinutes);
        Assert.Same(Condition.Default, workflow.Jobs[0].Steps[0].If);
    }

    [Theory]
    [InlineData("10080", 10080)]
    [InlineData("1.008e4", 10080)]
    [InlineData("0.05", 0.05)]
    public void Timeout_of_up_to_7_days_is_accepted(string value, double minutes)
    {
        var result = WorkflowLoader.Load("w.yml", $"jobs: {{ a: {{ steps: [ {{ run: x, timeout-minutes: {value} }} ], timeout-minutes: {value} }} }}");

        Assert.Empty(result.Errors);
        Assert.Equal(minutes, result.Workflow!.Jobs[0].TimeoutMinutes);
        Assert.Equal(minutes, result.Workflow.Jobs[0].Steps[0].TimeoutMinutes);
    }

    [Fact]
    public void A_byte_order_mark_and_crlf_line_ends_are_accepted()
    {
        var result = WorkflowLoader.Load("w.yml", "\uFEFFjobs:\r\n  a:\r\n    steps:\r\n      - run: x\r\n");

        Assert.Empty(result.Errors);
        Assert.Equal(new SourceLocation(2, 3), result.Workflow!.Jobs[0].Location);
    }

    [Fact]
    public void Aliases_resolve_to_the_anchored_node()
    {
        var result = WorkflowLoader.Load("w.yml", """
            x-steps: &steps
              - run: make
            jobs:
              a: { steps: *steps }
              b: { steps: *steps, needs: a }
            """);

        Assert.Empty(result.Errors);
        Assert.Equal("make", result.Workflow!["b"].Steps[0].Run);
    }

    [Fact]
    public void LoadFile_reads_the_file_and_reports_with_the_path_as_given()
    {
        var folder = Directory.CreateTempSubdirectory("loom-parse-");
        try
        {
            var path = Path.Combine(folder.FullName, ".loom.yml");
            File.WriteAllText(path, "jobs:\n  a:\n    stepz: []\n");

            var result = WorkflowLoader.LoadFile(path);

            Assert.Equal(
                [$"{path}:3:5: error: unknown key 'stepz' in job 'a' (did you mean 'steps'?)", $"{path}:3:5: error: job 'a' has no 'steps'"],
                result.Errors.Select(e => e.ToString()));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void LoadFile_names_the_folder_for_loom_yml()
    {
        var folder = Directory.CreateTempSubdirectory("loom-parse-");
        try
        {
            var path = Path.Combine(folder.FullName, ".loom.yml");
            File.WriteAllText(path, "jobs: { a: { steps: [ { run: x } ] } }");

            Assert.Equal(folder.Name, WorkflowLoader.LoadFile(path).Workflow!.Name);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void The_documented_example_loads()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "docs/examples/pipeline/.loom.yml")))
            folder = folder.Parent;
        Assert.NotNull(folder);

        var result = WorkflowLoader.LoadFile(Path.Combine(folder.FullName, "docs/examples/pipeline/.loom.yml"));

        Assert.Empty(result.Errors);
        Assert.Equal(7, result.Workflow!.Jobs.Count);
    }

    [Fact]
    public void LoadFile_of_a_missing_file_is_one_error_at_1_1()
    {
        var result = WorkflowLoader.LoadFile("no/such/.loom.yml");

        Assert.Null(result.Workflow);
        Assert.Equal("no/such/.loom.yml:1:1: error: cannot read the file: it does not exist", Assert.Single(result.Errors).ToString());
    }

    [Fact]
    public void LoadFile_of_a_directory_is_one_error_at_1_1()
    {
        var folder = Directory.CreateTempSubdirectory("loom-parse-");
        try
        {
            var result = WorkflowLoader.LoadFile(folder.FullName);

            Assert.Equal($"{folder.FullName}:1:1: error: cannot read the file: it is a directory", Assert.Single(result.Errors).ToString());
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
