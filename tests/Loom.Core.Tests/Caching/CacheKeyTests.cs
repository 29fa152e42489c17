using Loom.Core.Caching;

namespace Loom.Core.Tests.Caching;

/// <summary>What changes a job's cache key and what must not, on real files.</summary>
public sealed class CacheKeyTests : IDisposable
{
    private static readonly Dictionary<string, string> NoEnv = [];

    private readonly TempWorkspace workspace = new();

    public CacheKeyTests()
    {
        workspace.Write("src/a.cs", "class A;");
        workspace.Write("src/deep/b.cs", "class B;");
        workspace.Write("README.md", "readme");
    }

    public void Dispose() => workspace.Dispose();

    private static CacheKeyInput Input(
        IReadOnlyList<string>? inputs = null,
        IReadOnlyList<KeyValuePair<string, string>>? definition = null,
        IReadOnlyDictionary<string, string>? workflowEnv = null,
        IReadOnlyDictionary<string, string>? jobEnv = null,
        IReadOnlyList<IReadOnlyDictionary<string, string>>? stepEnvs = null,
        IReadOnlyList<NeedFingerprint>? needs = null) => new(
        "build",
        definition ?? [new("steps[0].run", "make"), new("timeout-minutes", "10")],
        workflowEnv ?? NoEnv,
        jobEnv ?? NoEnv,
        stepEnvs ?? [NoEnv],
        inputs ?? ["src/**/*.cs"],
        needs ?? [NeedFingerprint.FromKey("restore", new string('a', 64))]);

    private string Key(CacheKeyInput input)
    {
        var result = CacheKey.Compute(input, workspace.Root);
        Assert.Null(result.Error);
        return result.Key!.Value;
    }

    private string Key() => Key(Input());

    [Fact]
    public void The_key_is_sha256_hex_and_repeats_for_the_same_input()
    {
        var key = Key();
        Assert.Matches("^[0-9a-f]{64}$", key);
        Assert.Equal(key, Key());
    }

    [Fact]
    public void An_input_file_s_content_changes_the_key()
    {
        var before = Key();
        workspace.Write("src/deep/b.cs", "class B2;");
        Assert.NotEqual(before, Key());
    }

    [Fact]
    public void A_new_or_renamed_input_file_changes_the_key()
    {
        var before = Key();
        workspace.Write("src/c.cs", "");
        var withNewFile = Key();
        Assert.NotEqual(before, withNewFile);
        File.Move(workspace.PathOf("src/c.cs"), workspace.PathOf("src/d.cs"));
        Assert.NotEqual(withNewFile, Key());
    }

    [Fact]
    public void A_file_outside_the_inputs_does_not_change_the_key()
    {
        var before = Key();
        workspace.Write("README.md", "changed");
        workspace.Write("src/notes.txt", "not a .cs file");
        Assert.Equal(before, Key());
    }

    [Fact]
    public void The_order_of_the_globs_does_not_matter_only_the_files_they_select()
    {
        Assert.Equal(Key(Input(inputs: ["README.md", "src/**"])), Key(Input(inputs: ["src/**", "README.md"])));
        Assert.Equal(Key(Input(inputs: ["src/**/*.cs"])), Key(Input(inputs: ["src/a.cs", "src/deep/b.cs"])));
    }

    [Fact]
    public void An_exclusion_removes_files_from_the_key()
    {
        var excluding = Input(inputs: ["src/**", "!src/deep/**"]);
        var before = Key(excluding);
        workspace.Write("src/deep/b.cs", "changed");
        Assert.Equal(before, Key(excluding));
        workspace.Write("src/a.cs", "changed");
        Assert.NotEqual(before, Key(excluding));
    }

    [Fact]
    public void Git_and_loom_folders_are_never_hashed()
    {
        var everything = Input(inputs: ["**"]);
        workspace.Write(".git/HEAD", "ref: refs/heads/main");
        workspace.Write(".loom/cache/entries/x.json", "{}");
        workspace.Write("vendor/lib/.git/config", "[core]");
        var key = CacheKey.Compute(everything, workspace.Root).Key!;
        Assert.Equal(3, key.InputFiles);

        workspace.Write(".git/HEAD", "ref: refs/heads/other");
        workspace.Write(".loom/runs/latest", "run-2");
        workspace.Write("vendor/lib/.git/config", "[core] changed");
        Assert.Equal(key.Value, Key(everything));
        Assert.Equal(key.Value, Key(Input(inputs: [".git/**", ".loom/**", "**"])));
    }

    [Fact]
    public void A_glob_that_climbs_out_of_the_workspace_selects_nothing()
    {
        var outside = Directory.CreateTempSubdirectory("loom-cache-outside-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(outside, "secret.txt"), "x");
            var climbing = Input(inputs: [$"../{Path.GetFileName(outside)}/*", Path.Combine(outside, "*")]);
            Assert.Equal(0, CacheKey.Compute(climbing, workspace.Root).Key!.InputFiles);
        }
        finally
        {
            Directory.Delete(outside, recursive: true);
        }
    }

    [Fact]
    public void A_link_is_hashed_as_its_target_text_not_followed()
    {
        workspace.Write("elsewhere/target.txt", "one");
        File.CreateSymbolicLink(workspace.PathOf("src/link.cs"), "../elsewhere/target.txt");
        var before = Key();
        workspace.Write("elsewhere/target.txt", "two");
        Assert.Equal(before, Key());

        File.Delete(workspace.PathOf("src/link.cs"));
        File.CreateSymbolicLink(workspace.PathOf("src/link.cs"), "../elsewhere/other.txt");
        Assert.NotEqual(before, Key());
    }

    [Fact]
    public void A_link_to_a_folder_is_one_entry_and_is_not_walked()
    {
        Directory.CreateSymbolicLink(workspace.PathOf("src/loop"), workspace.Root);
        var key = CacheKey.Compute(Input(inputs: ["**"]), workspace.Root).Key!;
        Assert.Equal(4, key.InputFiles); // a.cs, b.cs, README.md and the link itself
    }

    [Fact]
    public void Each_env_scope_changes_the_key_and_the_scopes_are_told_apart()
    {
        var none = Key();
        var workflow = Key(Input(workflowEnv: new Dictionary<string, string> { ["MODE"] = "fast" }));
        var job = Key(Input(jobEnv: new Dictionary<string, string> { ["MODE"] = "fast" }));
        var step = Key(Input(stepEnvs: [new Dictionary<string, string> { ["MODE"] = "fast" }]));
        var otherValue = Key(Input(jobEnv: new Dictionary<string, string> { ["MODE"] = "slow" }));
        Assert.Equal(5, new[] { none, workflow, job, step, otherValue }.Distinct().Count());
    }

    [Fact]
    public void The_order_of_env_variables_does_not_matter()
    {
        var ab = new Dictionary<string, string> { ["A"] = "1", ["B"] = "2" };
        var ba = new Dictionary<string, string> { ["B"] = "2", ["A"] = "1" };
        Assert.Equal(Key(Input(jobEnv: ab)), Key(Input(jobEnv: ba)));
    }

    [Fact]
    public void A_needed_job_s_key_changes_the_key_and_their_order_does_not()
    {
        var restore = NeedFingerprint.FromKey("restore", new string('a', 64));
        var lint = NeedFingerprint.FromOutcome("lint", "success", new Dictionary<string, string> { ["ok"] = "yes" });
        var before = Key(Input(needs: [restore, lint]));
        Assert.Equal(before, Key(Input(needs: [lint, restore])));
        Assert.NotEqual(before, Key(Input(needs: [NeedFingerprint.FromKey("restore", new string('b', 64)), lint])));
        Assert.NotEqual(before, Key(Input(needs: [restore])));
    }

    [Fact]
    public void An_uncached_need_counts_by_its_result_and_outputs()
    {
        static NeedFingerprint Lint(string result, string version) =>
            NeedFingerprint.FromOutcome("lint", result, new Dictionary<string, string> { ["version"] = version });
        Assert.Equal(Lint("success", "1").Value, Lint("success", "1").Value);
        Assert.NotEqual(Lint("success", "1").Value, Lint("success", "2").Value);
        Assert.NotEqual(Lint("success", "1").Value, Lint("skipped", "1").Value);
        Assert.NotEqual(Key(Input(needs: [Lint("success", "1")])), Key(Input(needs: [Lint("success", "2")])));
    }

    [Fact]
    public void The_definition_changes_the_key()
    {
        var before = Key();
        Assert.NotEqual(before, Key(Input(definition: [new("steps[0].run", "make all"), new("timeout-minutes", "10")])));
        Assert.NotEqual(before, Key(Input(definition: [new("steps[0].run", "make"), new("timeout-minutes", "11")])));
        Assert.NotEqual(before, Key(Input(definition: [new("timeout-minutes", "10"), new("steps[0].run", "make")])));
        Assert.NotEqual(before, Key(Input() with { JobId = "build (linux)" }));
    }

    [Fact]
    public void Fields_are_length_prefixed_so_moving_a_boundary_changes_the_key()
    {
        Assert.NotEqual(Key(Input(definition: [new("ab", "c")])), Key(Input(definition: [new("a", "bc")])));
        Assert.NotEqual(
            Key(Input(jobEnv: new Dictionary<string, string> { ["AB"] = "C" })),
            Key(Input(jobEnv: new Dictionary<string, string> { ["A"] = "BC" })));
        Assert.NotEqual(Key(Input(stepEnvs: [NoEnv, NoEnv])), Key(Input(stepEnvs: [NoEnv])));
    }

    [Fact]
    public void The_explanation_counts_what_went_in()
    {
        var key = CacheKey.Compute(Input(jobEnv: new Dictionary<string, string> { ["A"] = "1" }), workspace.Root).Key!;
        Assert.Equal("2 input files (16 B), 1 need, 1 env variable, 2 definition fields", key.Explanation);
    }

    [Fact]
    public void An_invalid_glob_is_an_error_the_caller_can_report()
    {
        var result = CacheKey.Compute(Input(inputs: ["src/[z-a].cs"]), workspace.Root);
        Assert.Null(result.Key);
        Assert.Contains("cannot hash the inputs of 'build'", result.Error);
    }
}
