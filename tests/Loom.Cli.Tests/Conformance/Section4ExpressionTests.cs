using System.Security.Cryptography;
using System.Text.Json;

namespace Loom.Cli.Tests.Conformance;

/// <summary>Spec §4: <c>${{ }}</c> expressions — where they apply, operators, functions, contexts and their validation.</summary>
public abstract class Section4ExpressionTests(ConformanceCluster? cluster) : ConformanceTests(cluster)
{
    public sealed class Local() : Section4ExpressionTests(null);

    [ClusterMode, Collection(ConformanceCluster.Collection)]
    public sealed class OnCluster(ConformanceCluster cluster) : Section4ExpressionTests(cluster);

    [Case]
    public async Task Expressions_apply_in_name_env_run_shell_working_directory_if_timeout_continue_on_error_and_outputs()
    {
        using var ws = NewWorkspace("""
            env:
              WHO: world
              TOLERATE: 'yes'
            jobs:
              places:
                outputs:
                  shout: ${{ steps.greet.outputs.shout }}!
                steps:
                  - id: greet
                    name: Greet ${{ env.WHO }}
                    shell: ${{ vars.shell }}
                    working-directory: ${{ vars.dir }}
                    env: { GREETING: "hello ${{ env.WHO }}" }
                    run: |
                      echo "$GREETING ${{ env.WHO }} ${BASH_VERSION:-no-bash}" > places.txt
                      echo "shout=${{ env.WHO }}" >> "$LOOM_OUTPUT"
                  - id: tolerated
                    continue-on-error: ${{ env.TOLERATE == 'yes' }}
                    run: exit 1
                  - id: timed
                    timeout-minutes: ${{ fromJSON(vars.timeout) }}
                    continue-on-error: true
                    run: sleep 60
                  - if: ${{ env.WHO == 'nobody' }}
                    run: touch wrong-if.ran
                  - if: env.WHO == 'world'
                    run: echo "${{ steps.tolerated.conclusion }} ${{ steps.timed.outcome }}" > later.txt
              reader:
                needs: places
                steps: [ { run: 'echo "${{ needs.places.outputs.shout }}" > shout.txt' } ]
            """);
        Directory.CreateDirectory(ws.PathOf("sub"));
        var run = await LoomRun.JsonAsync(ws, "--var", "shell=sh", "--var", "dir=sub", "--var", "timeout=0.01");
        Assert.True(run.Exit == 0, run.Transcript);
        Assert.Equal("Greet world", run.Of("stepStarted", "places").First().GetProperty("title").GetString());
        Assert.Equal("hello world world no-bash\n", ws.Read("sub/places.txt"));
        Assert.False(ws.Exists("wrong-if.ran"));
        Assert.Equal("success failure\n", ws.Read("later.txt"));
        Assert.Equal("world!\n", ws.Read("shout.txt"));
    }

    [Case]
    public async Task An_if_compares_loosely_and_case_insensitively_as_github_does()
    {
        using var ws = NewWorkspace("""
            jobs:
              compare:
                steps:
                  - { if: "'ABC' == 'abc'", run: touch strings-ignore-case }
                  - { if: "1 == '1'", run: touch number-equals-string }
                  - { if: "'' == 0", run: touch empty-string-is-zero }
                  - { if: "null == 0", run: touch null-is-zero }
                  - { if: "true == 1", run: touch true-is-one }
                  - { if: "'B' > 'a'", run: touch ordering-ignores-case }
                  - { if: "'abc' != 'ABC'", run: touch wrong-not-equal }
                  - { if: "'a' == 1", run: touch wrong-nan-equals }
                  - { if: "!('x' == 'X') || 2 < 1", run: touch wrong-negation }
            """);
        var run = await LoomRun.JsonAsync(ws);
        Assert.True(run.Exit == 0, run.Transcript);
        var ran = ws.Files().Where(f => f != ".loom.yml").ToList();
        Assert.Equal(["empty-string-is-zero", "null-is-zero", "number-equals-string", "ordering-ignores-case", "strings-ignore-case", "true-is-one"], ran);
    }

    [Case]
    public async Task An_if_without_a_status_function_is_implicitly_and_success()
    {
        using var ws = NewWorkspace("""
            jobs:
              implicit:
                steps:
                  - run: exit 1
                  - if: true
                    run: touch implicit.ran
                  - if: always() && true
                    run: touch explicit.ran
            """);
        var run = await LoomRun.JsonAsync(ws);
        Assert.Equal(1, run.Exit);
        Assert.False(ws.Exists("implicit.ran"));
        Assert.True(ws.Exists("explicit.ran"));
    }

    [Case]
    public async Task And_and_or_return_one_of_their_operands()
    {
        using var ws = NewWorkspace("""
            jobs:
              operands:
                steps:
                  - run: echo "${{ '' || 'fallback' }}|${{ 'a' && 'b' }}|${{ null && 'x' }}|${{ 0 || 'z' }}|${{ 'left' || 'right' }}|${{ false || 0 }}|${{ 'x' && '' }}" > operands.txt
            """);
        var run = await LoomRun.JsonAsync(ws);
        Assert.True(run.Exit == 0, run.Transcript);
        Assert.Equal("fallback|b||z|left|0|\n", ws.Read("operands.txt"));
    }

    [Case]
    public async Task String_and_json_functions_work_in_run()
    {
        using var ws = NewWorkspace("""
            jobs:
              functions:
                steps:
                  - run: |
                      cat > functions.txt <<'EOF'
                      ${{ contains('Hello World', 'WORLD') }}
                      ${{ contains(fromJSON('["a","b"]'), 'B') }}
                      ${{ contains('Hello', 'xyz') }}
                      ${{ startsWith('Hello', 'he') }}
                      ${{ endsWith('Hello', 'LO') }}
                      ${{ format('{0}-{1} {{x}}', 'a', 1) }}
                      ${{ join(fromJSON('["x","y","z"]'), '+') }}
                      ${{ join(fromJSON('["x","y"]')) }}
                      ${{ fromJSON('{"a":{"b":3}}').a.b }}
                      [${{ fromJSON('{"a":1}').missing }}]
                      [${{ env.NOT_SET_ANYWHERE }}]
                      ${{ toJson(fromJson('true')) }}
                      EOF
                      cat > tojson.json <<'EOF'
                      ${{ toJSON(fromJSON('{"a":[1,true,null],"b":"s"}')) }}
                      EOF
            """);
        var run = await LoomRun.JsonAsync(ws);
        Assert.True(run.Exit == 0, run.Transcript);
        Assert.Equal(
            ["true", "true", "false", "true", "true", "a-1 {x}", "x+y+z", "x,y", "3", "[]", "[]", "true"],
            ws.ReadLines("functions.txt"));
        using var json = JsonDocument.Parse(ws.Read("tojson.json"));
        Assert.Equal("""{"a":[1,true,null],"b":"s"}""", JsonSerializer.Serialize(json.RootElement));
    }

    [Case]
    public async Task HashFiles_hashes_the_matching_files_as_github_does_and_is_empty_when_none_match()
    {
        using var ws = NewWorkspace("""
            jobs:
              hashes:
                steps:
                  - run: |
                      echo "${{ hashFiles('data/*.txt') }}" > hash.txt
                      echo "[${{ hashFiles('nothing/**') }}]" > none.txt
            """);
        Directory.CreateDirectory(ws.PathOf("data"));
        File.WriteAllText(ws.PathOf("data/a.txt"), "alpha\n");
        File.WriteAllText(ws.PathOf("data/b.txt"), "beta\n");
        var run = await LoomRun.JsonAsync(ws);
        Assert.True(run.Exit == 0, run.Transcript);
        // GitHub: SHA-256 over the concatenated SHA-256 digests of the files, in path order.
        var digests = new[] { "data/a.txt", "data/b.txt" }.SelectMany(f => SHA256.HashData(File.ReadAllBytes(ws.PathOf(f)))).ToArray();
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(digests)) + "\n", ws.Read("hash.txt"));
        Assert.Equal("[]\n", ws.Read("none.txt"));
    }

    [Case]
    public async Task The_loom_context_and_its_github_alias_describe_the_run()
    {
        using var ws = NewWorkspace("""
            name: ctx
            jobs:
              context:
                steps:
                  - run: |
                      cat > context.txt <<'EOF'
                      ${{ loom.workspace }}
                      ${{ github.workspace }}
                      ${{ loom.run_id }}
                      ${{ loom.job }}
                      ${{ github.workflow }}
                      ${{ loom.event_name }}
                      ${{ toJSON(github.event) }}
                      ${{ loom.actor }}
                      ${{ runner.os }}
                      ${{ GITHUB.Event_Name }}
                      EOF
                      test -d "${{ runner.temp }}"
            """);
        var run = await LoomRun.JsonAsync(ws);
        Assert.True(run.Exit == 0, run.Transcript);
        Assert.Equal(
            [ws.RootOf("context.txt"), ws.RootOf("context.txt"), run.RunId, "context", "ctx", "push", "{}", Environment.UserName, "Linux", "push"],
            ws.ReadLines("context.txt"));
    }

    [Case]
    public async Task The_event_name_and_payload_come_from_the_command_line()
    {
        using var ws = NewWorkspace("""
            jobs:
              event:
                steps:
                  - run: echo "${{ github.event_name }} ${{ github.event.pull_request.number }} ${{ loom.event.pull_request.head.ref }}" > event.txt
            """);
        File.WriteAllText(ws.PathOf("payload.json"), """{ "pull_request": { "number": 7, "head": { "ref": "feature" } } }""");
        var run = await LoomRun.JsonAsync(ws, "--event", "pull_request", "--event-file", "payload.json");
        Assert.True(run.Exit == 0, run.Transcript);
        Assert.Equal("pull_request 7 feature\n", ws.Read("event.txt"));
    }

    [Case]
    public async Task Vars_come_from_var_options_and_a_vars_file_and_inputs_from_input_options()
    {
        using var ws = NewWorkspace("""
            jobs:
              values:
                steps:
                  - run: echo "${{ vars.FROM_FLAG }}|${{ vars.FROM_FILE }}|${{ inputs.target }}|${{ vars.ABSENT }}|${{ inputs.absent }}" > values.txt
            """);
        File.WriteAllText(ws.PathOf("vars.env"), "# settings\nFROM_FILE=from file\n");
        var run = await LoomRun.JsonAsync(ws, "--var", "FROM_FLAG=flag", "--vars-file", "vars.env", "--input", "target=prod");
        Assert.True(run.Exit == 0, run.Transcript);
        Assert.Equal("flag|from file|prod||\n", ws.Read("values.txt"));
    }

    [Case]
    public async Task Unknown_contexts_functions_properties_needs_and_step_ids_are_positioned_validation_errors()
    {
        using var ws = NewWorkspace("""
            jobs:
              first:
                steps:
                  - run: echo ${{ nosuch.thing }} > ran.txt
                  - run: echo ${{ nosuchfn('a') }} > ran.txt
                  - run: echo ${{ needs.second.result }} > ran.txt
                  - run: echo ${{ steps.ghost.outputs.x }} > ran.txt
                  - run: echo ${{ loom.nope }} > ran.txt
                  - run: echo ${{ runner.nope }} ${{ strategy.nope }} ${{ job.nope }} ${{ github.nope }} ${{ Runner.OS }} > ran.txt
              second:
                steps: [ { run: 'true' } ]
            """);
        var (exit, stdout, stderr) = await ws.LoomAsync("run", "--plain");
        Assert.True(exit == 2, stdout + stderr);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines, line => Assert.Matches(@"^\.loom\.yml:\d+:\d+: error: ", line));
        Assert.Contains(lines, l => l.StartsWith(".loom.yml:4:") && l.Contains("nosuch"));
        Assert.Contains(lines, l => l.StartsWith(".loom.yml:5:") && l.Contains("nosuchfn"));
        Assert.Contains(lines, l => l.StartsWith(".loom.yml:6:") && l.Contains("second"));
        Assert.Contains(lines, l => l.StartsWith(".loom.yml:7:") && l.Contains("ghost"));
        Assert.Contains(lines, l => l.StartsWith(".loom.yml:8:") && l.Contains("'loom'"));
        foreach (var context in new[] { "runner", "strategy", "job", "github" })
            Assert.Contains(lines, l => l.StartsWith(".loom.yml:9:") && l.Contains("nope") && l.Contains($"'{context}'"));
        Assert.DoesNotContain(lines, l => l.Contains("OS"));
        Assert.Equal(9, lines.Length);
        Assert.False(ws.Exists("ran.txt"));
    }

    [Case]
    public async Task A_later_steps_id_is_valid_and_reads_as_empty_at_run_time()
    {
        using var ws = NewWorkspace("""
            jobs:
              early:
                steps:
                  - run: echo "[${{ steps.later.outcome }}][${{ steps.later.outputs.x }}]" > early.txt
                  - id: later
                    run: echo "x=1" >> "$LOOM_OUTPUT"
            """);
        var run = await LoomRun.JsonAsync(ws);
        Assert.True(run.Exit == 0, run.Transcript);
        Assert.Equal("[][]\n", ws.Read("early.txt"));
    }
}
