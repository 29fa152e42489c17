using System.Text;
using System.Text.Json;

namespace Loom.Cli.Tests.Conformance;

/// <summary>Spec §6 (and the workflow commands that travel on step output): secrets, masking, annotations, groups.</summary>
public abstract class Section6SecretTests(ConformanceCluster? cluster) : ConformanceTests(cluster)
{
    public sealed class Local() : Section6SecretTests(null);

    [ClusterMode, Collection(ConformanceCluster.Collection)]
    public sealed class OnCluster(ConformanceCluster cluster) : Section6SecretTests(cluster);

    private const string Token = "s3cr3t-T0ken-value";

    private static Dictionary<string, string> SecretEnv(params (string Name, string Value)[] secrets) =>
        secrets.ToDictionary(s => $"LOOM_SECRET_{s.Name}", s => s.Value);

    [Case]
    public async Task Secrets_come_from_loom_secret_variables_and_a_secrets_file()
    {
        using var ws = NewWorkspace("""
            jobs:
              read:
                steps:
                  - run: |
                      echo "${{ secrets.TOKEN }}" > token.txt
                      echo "${{ secrets.FROM_FILE }}" > from-file.txt
                      echo "[${{ secrets.MISSING }}]" > missing.txt
            """);
        File.WriteAllText(ws.PathOf("secrets.env"), "FROM_FILE=file-secret-value\n");
        var run = await LoomRun.JsonAsync(ws, SecretEnv(("TOKEN", Token)), "--secrets-file", "secrets.env");
        Assert.True(run.Exit == 0, run.Transcript);
        Assert.Equal(Token + "\n", ws.Read("token.txt"));
        Assert.Equal("file-secret-value\n", ws.Read("from-file.txt"));
        Assert.Equal("[]\n", ws.Read("missing.txt"));
    }

    private const string Leaky = """
        jobs:
          leak:
            outputs:
              leaked: ${{ steps.print.outputs.copy }}
            steps:
              - id: print
                env: { TOKEN: "${{ secrets.TOKEN }}", FILE_SECRET: "${{ secrets.FROM_FILE }}" }
                run: |
                  echo "token is $TOKEN"
                  echo "file secret is $FILE_SECRET"
                  echo "copy=$TOKEN" >> "$LOOM_OUTPUT"
              - working-directory: ${{ secrets.TOKEN }}
                run: 'true'
        """;

    [Case]
    public async Task A_secret_is_masked_in_json_output_job_outputs_and_error_messages()
    {
        using var ws = NewWorkspace(Leaky);
        File.WriteAllText(ws.PathOf("secrets.env"), "FROM_FILE=file-secret-value\n");
        var run = await LoomRun.JsonAsync(ws, SecretEnv(("TOKEN", Token)), "--secrets-file", "secrets.env");
        Assert.Equal(1, run.Exit);
        Assert.Contains("token is ***", run.Lines("leak"));
        Assert.Contains("file secret is ***", run.Lines("leak"));
        Assert.Equal("***", run.Finished("leak").GetProperty("outputs").GetProperty("leaked").GetString());
        Assert.Equal("failure", run.Step("leak", 1).GetProperty("outcome").GetString());
        Assert.Contains("***", run.Step("leak", 1).GetProperty("error").GetString());
        Assert.DoesNotContain(Token, run.Stdout + run.Stderr);
        Assert.DoesNotContain("file-secret-value", run.Stdout + run.Stderr);
        AssertNotStored(ws, Token);
    }

    [Case]
    public async Task A_secret_is_masked_in_plain_output()
    {
        using var ws = NewWorkspace(Leaky);
        File.WriteAllText(ws.PathOf("secrets.env"), "FROM_FILE=file-secret-value\n");
        var run = await LoomRun.PlainAsync(ws, SecretEnv(("TOKEN", Token)), "--secrets-file", "secrets.env");
        Assert.Equal(1, run.Exit);
        Assert.Contains("token is ***", run.Stdout);
        Assert.Contains("file secret is ***", run.Stdout);
        Assert.DoesNotContain(Token, run.Stdout + run.Stderr);
        Assert.DoesNotContain("file-secret-value", run.Stdout + run.Stderr);
        AssertNotStored(ws, Token);
    }

    // Loom's own stored logs and run records (under .loom/; on a cluster the runs' step logs and the log of each node) must not hold the secret either.
    private static void AssertNotStored(Workspace ws, string secret)
    {
        foreach (var stored in ws.StoredFolders().Where(Directory.Exists))
            foreach (var file in Directory.GetFiles(stored, "*", SearchOption.AllDirectories))
                Assert.False(File.ReadAllText(file).Contains(secret), $"{file} holds the secret");
    }

    [Case]
    public async Task Each_line_of_a_multi_line_secret_and_the_base64_form_of_a_secret_are_masked()
    {
        using var ws = NewWorkspace("""
            jobs:
              leak:
                steps:
                  - env: { KEY: "${{ secrets.KEY }}", TOKEN: "${{ secrets.TOKEN }}" }
                    run: |
                      printf '%s\n' "$KEY"
                      echo "second alone: multi-line-second-part"
                      printf '%s' "$TOKEN" | base64
            """);
        var run = await LoomRun.JsonAsync(ws, SecretEnv(("KEY", "multi-line-first-part\nmulti-line-second-part"), ("TOKEN", Token)));
        Assert.True(run.Exit == 0, run.Transcript);
        var lines = run.Lines("leak");
        Assert.Equal(["***", "***", "second alone: ***", "***"], lines);
        Assert.DoesNotContain("multi-line-", run.Stdout);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(Token)), run.Stdout);
    }

    [Case]
    public async Task Add_mask_masks_later_output_and_is_never_shown_itself()
    {
        using var ws = NewWorkspace("""
            jobs:
              masking:
                steps:
                  - run: |
                      echo "before: hunter2"
                      echo "::add-mask::hunter2"
                      echo "after: hunter2"
                  - run: 'echo "next step: hunter2"'
            """);
        var run = await LoomRun.JsonAsync(ws);
        Assert.True(run.Exit == 0, run.Transcript);
        var lines = run.Lines("masking");
        Assert.DoesNotContain(lines, l => l.Contains("add-mask"));
        Assert.Contains("after: ***", lines);
        Assert.Contains("next step: ***", lines);
        Assert.DoesNotContain("::add-mask::", run.Stdout);
    }

    [Case]
    public async Task Error_and_warning_commands_become_annotation_events()
    {
        using var ws = NewWorkspace("""
            jobs:
              annotate:
                steps:
                  - run: |
                      echo "::error file=a.c,line=3::msg"
                      echo "::warning file=b.c,line=5,col=7,title=Careful::watch out"
            """);
        var run = await LoomRun.JsonAsync(ws);
        Assert.True(run.Exit == 0, run.Transcript);
        var annotations = run.Of("annotation", "annotate").ToList();
        Assert.Equal(2, annotations.Count);
        Assert.Equal("error", annotations[0].GetProperty("level").GetString());
        Assert.Equal("msg", annotations[0].GetProperty("message").GetString());
        Assert.Equal("a.c", annotations[0].GetProperty("file").GetString());
        Assert.Equal(3, annotations[0].GetProperty("line").GetInt32());
        Assert.Equal("warning", annotations[1].GetProperty("level").GetString());
        Assert.Equal("watch out", annotations[1].GetProperty("message").GetString());
        Assert.Equal(5, annotations[1].GetProperty("line").GetInt32());
        Assert.Equal(7, annotations[1].GetProperty("column").GetInt32());
        Assert.Equal("Careful", annotations[1].GetProperty("title").GetString());
        Assert.DoesNotContain(run.Lines("annotate"), l => l.Contains("::error") || l.Contains("::warning"));
    }

    [Case]
    public async Task Group_commands_put_the_lines_between_them_in_that_group()
    {
        using var ws = NewWorkspace("""
            jobs:
              grouped:
                steps:
                  - run: |
                      echo outside-before
                      echo "::group::Compile"
                      echo inside-one
                      echo inside-two
                      echo "::endgroup::"
                      echo outside-after
            """);
        var run = await LoomRun.JsonAsync(ws);
        Assert.True(run.Exit == 0, run.Transcript);
        var groups = run.Of("outputLine", "grouped").ToDictionary(
            e => e.GetProperty("line").GetString()!,
            e => e.GetProperty("group").ValueKind == JsonValueKind.Null ? null : e.GetProperty("group").GetString());
        Assert.Equal("Compile", groups["inside-one"]);
        Assert.Equal("Compile", groups["inside-two"]);
        Assert.Null(groups["outside-before"]);
        Assert.Null(groups["outside-after"]);
        Assert.DoesNotContain(groups.Keys, l => l.Contains("::group::") || l.Contains("::endgroup::"));
    }

    [Case]
    public async Task A_secret_is_masked_even_when_a_step_prints_it_through_a_workflow_command()
    {
        using var ws = NewWorkspace("""
            jobs:
              leak:
                steps:
                  - env: { TOKEN: "${{ secrets.TOKEN }}" }
                    run: |
                      echo "::error file=a.c,line=1::bad token $TOKEN"
                      echo "::group::group $TOKEN"
                      echo "in group"
                      echo "::endgroup::"
                      echo "summary $TOKEN" >> "$LOOM_STEP_SUMMARY"
            """);
        var run = await LoomRun.JsonAsync(ws, SecretEnv(("TOKEN", Token)));
        Assert.True(run.Exit == 0, run.Transcript);
        Assert.Equal("bad token ***", run.Of("annotation", "leak").Single().GetProperty("message").GetString());
        Assert.DoesNotContain(Token, run.Stdout + run.Stderr);
    }

    [Case]
    public async Task A_secret_is_masked_in_step_titles_and_skip_reasons_and_is_not_in_the_steps_environment()
    {
        using var ws = NewWorkspace("""
            jobs:
              leak:
                outputs:
                  copy: ${{ secrets.TOKEN }}
                steps:
                  - run: echo "${{ secrets.TOKEN }}" > /dev/null
                  - name: Deploy with ${{ secrets.TOKEN }}
                    run: env | grep '^LOOM_SECRET_' > secret-env.txt || true
              gated:
                needs: leak
                if: needs.leak.outputs.copy == 'something else'
                steps: [ { run: 'true' } ]
            """);
        var run = await LoomRun.JsonAsync(ws, SecretEnv(("TOKEN", Token)));
        Assert.True(run.Exit == 0, run.Transcript);
        var titles = run.Of("stepStarted", "leak").Select(e => e.GetProperty("title").GetString()).ToList();
        Assert.Equal(["echo \"***\" > /dev/null", "Deploy with ***"], titles);
        Assert.Contains("***", run.Of("jobSkipped", "gated").Single().GetProperty("reason").GetString());
        Assert.DoesNotContain(Token, run.Stdout + run.Stderr);
        Assert.Equal("", ws.Read("secret-env.txt"));
    }
}
