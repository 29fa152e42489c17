using Akka.Hosting;
using Loom.Actors.Client;
using Loom.Actors.Hosting;
using Loom.Actors.Protocol;
using Loom.Core.Model;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using static Loom.Actors.Protocol.RunEvents;

namespace Loom.Actors.Tests.Hosting;

/// <summary>A generic host with <c>WithLoom</c> and <c>AddLoomClient</c>: what its own code can do with Loom.</summary>
public sealed class LoomClientTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly string root = Directory.CreateTempSubdirectory("loom-client-").FullName;

    private async Task<IHost> StartAsync()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services
            .AddAkka("host", akka => akka.WithLoom(o =>
            {
                o.StateFolder = Path.Combine(root, ".loom");
                o.Workspace = root;
            }))
            .AddLoomClient();
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    private static async Task<List<IRunNotification>> ObserveAllAsync(ILoomClient client, string runId)
    {
        using var timeout = new CancellationTokenSource(Patience);
        var seen = new List<IRunNotification>();
        await foreach (var notification in client.ObserveAsync(runId, timeout.Token))
            seen.Add(notification);
        return seen;
    }

    [Fact]
    public async Task A_host_runs_a_workflow_given_as_text_and_its_own_code_receives_the_runs_notifications()
    {
        using var host = await StartAsync();
        var client = host.Services.GetRequiredService<ILoomClient>();
        var submitted = await client.SubmitTextAsync("""
            jobs:
              build:
                outputs:
                  artifact: ${{ steps.make.outputs.name }}
                steps:
                  - id: make
                    run: echo "hello from $LOOM_JOB"; echo "name=app.bin" >> "$LOOM_OUTPUT"
              test:
                needs: build
                steps:
                  - run: echo "testing ${{ needs.build.outputs.artifact }}" && echo tested > tested.txt
            """);
        Assert.True(submitted.Accepted, string.Join("\n", submitted.Errors));

        var seen = await ObserveAllAsync(client, submitted.RunId);
        Assert.IsType<LoomProtocol.RunAccepted>(seen[0]);
        Assert.Equal(submitted.RunId, Assert.IsType<RunStarted>(seen[1]).RunId);
        Assert.Contains(seen, n => n is JobStarted { JobId: "build" });
        Assert.Contains(seen, n => n is OutputLine { JobId: "build", Line: "hello from build" });
        Assert.Contains(seen, n => n is OutputLine { JobId: "test", Line: "testing app.bin" });
        Assert.Contains(seen, n => n is JobFinished { JobId: "test", Result: Result.Success });
        Assert.Equal(Result.Success, Assert.IsType<RunFinished>(seen[^1]).Result);
        // The same lines loom run --json prints.
        Assert.StartsWith("""{"event":"runStarted","runId":"%s",""".Replace("%s", submitted.RunId), RunNotificationJson.ToJson(seen[1]));
        Assert.Equal("tested", File.ReadAllText(Path.Combine(root, "tested.txt")).Trim());

        var details = await client.GetRunAsync(submitted.RunId);
        Assert.NotNull(details);
        Assert.Equal(LoomRunState.Finished, details.State);
        Assert.Equal(Result.Success, details.Result);
        Assert.Equal(["build", "test"], details.Jobs.Select(j => j.Id));
        Assert.Equal("app.bin", details.Jobs[0].Outputs["artifact"]);
        Assert.Equal(Path.Combine(root, ".loom", "runs", submitted.RunId, "logs"), details.LogsFolder);
        Assert.Contains("hello from build", string.Concat(Directory.GetFiles(details.LogsFolder!).Select(File.ReadAllText)));

        // The history, newest first, from the journal under the state folder (where 'loom runs' reads it too).
        Assert.True(File.Exists(Path.Combine(root, ".loom", "journal.db")));
        var runs = await client.RunsAsync();
        Assert.Equal(submitted.RunId, runs[0].RunId);
        Assert.Equal(Result.Success, runs[0].Result);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_host_without_WithLoom_gets_an_error_from_the_client_not_a_wait()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddAkka("bare", _ => { }).AddLoomClient();
        using var host = builder.Build();
        await host.StartAsync();
        var client = host.Services.GetRequiredService<ILoomClient>();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => client.SubmitTextAsync("jobs: {}").WaitAsync(Patience));
        Assert.Contains("WithLoom", error.Message);
        await host.StopAsync();
    }

    [Fact]
    public async Task An_invalid_workflow_comes_back_as_file_line_column_errors_not_an_exception()
    {
        using var host = await StartAsync();
        var client = host.Services.GetRequiredService<ILoomClient>();
        var submitted = await client.SubmitTextAsync("""
            jobs:
              build:
                needs: nothing-like-it
                steps:
                  - run: echo ${{ nope.value }}
            """, new LoomRunRequest { TextName = "ci.loom.yml" });
        Assert.False(submitted.Accepted);
        Assert.NotEmpty(submitted.Errors);
        Assert.All(submitted.Errors, e => Assert.Matches(@"^ci\.loom\.yml:\d+:\d+: error: ", e));
        var details = await client.GetRunAsync(submitted.RunId);
        Assert.Equal(LoomRunState.Rejected, details!.State);

        var unknownJob = await client.SubmitTextAsync("jobs:\n  a:\n    steps:\n      - run: 'true'\n", new LoomRunRequest { Jobs = ["b"] });
        Assert.False(unknownJob.Accepted);
        Assert.Contains("b", Assert.Single(unknownJob.Errors));

        var badId = await client.SubmitTextAsync("jobs:\n  a:\n    steps:\n      - run: 'true'\n", new LoomRunRequest { RunId = "../escape" });
        Assert.False(badId.Accepted);

        var missing = await client.SubmitFileAsync(Path.Combine(root, "no-such.yml"));
        Assert.False(missing.Accepted);
        Assert.Contains("no-such.yml", Assert.Single(missing.Errors));
        await host.StopAsync();
    }

    [Fact]
    public async Task A_file_runs_in_its_folder_with_the_jobs_and_inputs_asked_for()
    {
        var project = Directory.CreateDirectory(Path.Combine(root, "project")).FullName;
        File.WriteAllText(Path.Combine(project, ".loom.yml"), """
            jobs:
              greet:
                steps:
                  - run: echo "hello ${{ inputs.who }}, ${{ vars.tone }}" > greeting.txt
              other:
                steps:
                  - run: touch other.txt
            """);
        using var host = await StartAsync();
        var client = host.Services.GetRequiredService<ILoomClient>();
        var submitted = await client.SubmitFileAsync(Path.Combine(project, ".loom.yml"), new LoomRunRequest
        {
            Jobs = ["greet"],
            Inputs = new Dictionary<string, string> { ["who"] = "host" },
            Vars = new Dictionary<string, string> { ["tone"] = "kindly" },
        });
        Assert.True(submitted.Accepted, string.Join("\n", submitted.Errors));
        var seen = await ObserveAllAsync(client, submitted.RunId);
        Assert.Equal(Result.Success, Assert.IsType<RunFinished>(seen[^1]).Result);
        Assert.Equal("hello host, kindly", File.ReadAllText(Path.Combine(project, "greeting.txt")).Trim());
        Assert.False(File.Exists(Path.Combine(project, "other.txt")));
        await host.StopAsync();
    }

    [Fact]
    public async Task A_late_observer_gets_what_was_kept_then_what_follows_and_a_run_can_be_cancelled()
    {
        using var host = await StartAsync();
        var client = host.Services.GetRequiredService<ILoomClient>();
        var submitted = await client.SubmitTextAsync("""
            jobs:
              wait:
                steps:
                  - run: |
                      echo first
                      while [ ! -e go ]; do sleep 0.05; done
                      echo second
              slow:
                needs: wait
                steps:
                  - run: sleep 30
            """);
        Assert.True(submitted.Accepted, string.Join("\n", submitted.Errors));

        using var timeout = new CancellationTokenSource(Patience);
        await using var early = client.ObserveAsync(submitted.RunId, timeout.Token).GetAsyncEnumerator(timeout.Token);
        while (await early.MoveNextAsync() && early.Current is not OutputLine { Line: "first" })
        {
        }
        Assert.Equal(LoomRunState.Running, (await client.GetRunAsync(submitted.RunId))!.State);

        // Comes after 'first' was printed: gets it from what the run kept, then 'second' as it happens.
        var late = ObserveAllAsync(client, submitted.RunId);
        await Task.Delay(200);
        File.WriteAllText(Path.Combine(root, "go"), "");
        while (await early.MoveNextAsync() && early.Current is not JobStarted { JobId: "slow" })
        {
        }
        Assert.True(await client.CancelAsync(submitted.RunId, "the host is done with it"));
        var lateSeen = await late;
        Assert.IsType<LoomProtocol.RunAccepted>(lateSeen[0]);
        var lines = lateSeen.OfType<OutputLine>().Select(o => o.Line).ToList();
        Assert.Equal(["first", "second"], lines);
        Assert.Contains(lateSeen, n => n is RunCancelling { Reason: "the host is done with it" });
        Assert.Equal(Result.Cancelled, Assert.IsType<RunFinished>(lateSeen[^1]).Result);
        Assert.False(await client.CancelAsync(submitted.RunId));
        await host.StopAsync();
    }

    [Fact]
    public async Task Another_host_on_the_same_state_folder_reads_a_finished_run_from_the_journal()
    {
        string runId;
        using (var first = await StartAsync())
        {
            var client = first.Services.GetRequiredService<ILoomClient>();
            var submitted = await client.SubmitTextAsync("jobs:\n  a:\n    steps:\n      - run: echo done\n");
            runId = submitted.RunId;
            await ObserveAllAsync(client, runId);
            await first.StopAsync();
        }
        SqliteConnection.ClearAllPools();
        using var second = await StartAsync();
        var reader = second.Services.GetRequiredService<ILoomClient>();
        var journaled = await ObserveAllAsync(reader, runId);
        Assert.IsType<RunStarted>(journaled[0]);
        Assert.Equal(Result.Success, Assert.IsType<RunFinished>(journaled[^1]).Result);
        var details = await reader.GetRunAsync(runId);
        Assert.Equal(LoomRunState.Finished, details!.State);
        Assert.Equal(Result.Success, Assert.Single(details.Jobs).Result);
        Assert.Null(await reader.GetRunAsync("20000101-000000-0000"));
        await Assert.ThrowsAsync<KeyNotFoundException>(async () => await ObserveAllAsync(reader, "20000101-000000-0000"));
        await second.StopAsync();
    }

    [Fact]
    public async Task Runs_of_one_concurrency_group_wait_for_each_other_or_cancel_the_one_going_on()
    {
        using var host = await StartAsync();
        var client = host.Services.GetRequiredService<ILoomClient>();
        const string workflow = """
            concurrency:
              group: deploy
              cancel-in-progress: ${{ inputs.cancel == 'yes' }}
            jobs:
              deploy:
                steps:
                  - run: |
                      echo ${{ inputs.name }} >> order.txt
                      while [ ! -e go-${{ inputs.name }} ]; do sleep 0.05; done
            """;
        LoomRunRequest Named(string name, string cancel = "no") =>
            new() { Inputs = new Dictionary<string, string> { ["name"] = name, ["cancel"] = cancel } };

        var first = await client.SubmitTextAsync(workflow, Named("first"));
        var second = await client.SubmitTextAsync(workflow, Named("second"));
        Assert.True(first.Accepted && second.Accepted, string.Join("\n", first.Errors.Concat(second.Errors)));
        await WaitForAsync(() => File.Exists(Path.Combine(root, "order.txt")));
        await Task.Delay(300);
        Assert.Equal(LoomRunState.Accepted, (await client.GetRunAsync(second.RunId))!.State);
        Assert.Equal(["first"], File.ReadAllLines(Path.Combine(root, "order.txt")));

        File.WriteAllText(Path.Combine(root, "go-first"), "");
        Assert.Equal(Result.Success, Assert.IsType<RunFinished>((await ObserveAllAsync(client, first.RunId))[^1]).Result);
        await WaitForAsync(() => File.ReadAllLines(Path.Combine(root, "order.txt")).Length == 2);

        // cancel-in-progress: the run going on is cancelled, the new one starts.
        var third = await client.SubmitTextAsync(workflow, Named("third", cancel: "yes"));
        Assert.True(third.Accepted);
        Assert.Equal(Result.Cancelled, Assert.IsType<RunFinished>((await ObserveAllAsync(client, second.RunId))[^1]).Result);
        File.WriteAllText(Path.Combine(root, "go-third"), "");
        Assert.Equal(Result.Success, Assert.IsType<RunFinished>((await ObserveAllAsync(client, third.RunId))[^1]).Result);
        Assert.Equal(["first", "second", "third"], File.ReadAllLines(Path.Combine(root, "order.txt")));
        await host.StopAsync();
    }

    [Fact]
    public async Task A_run_left_unfinished_by_a_host_that_went_down_is_resumed_by_the_next()
    {
        string runId;
        using (var first = await StartAsync())
        {
            var client = first.Services.GetRequiredService<ILoomClient>();
            var submitted = await client.SubmitTextAsync("""
                jobs:
                  build:
                    steps:
                      - run: echo build >> ran.txt
                  test:
                    needs: build
                    steps:
                      - run: |
                          echo test >> ran.txt
                          while [ ! -e go ]; do sleep 0.05; done
                """, new LoomRunRequest { Secrets = new Dictionary<string, string> { ["token"] = "s3cret-value" } });
            runId = submitted.RunId;
            using var timeout = new CancellationTokenSource(Patience);
            await foreach (var notification in client.ObserveAsync(runId, timeout.Token))
                if (notification is StepStarted { JobId: "test" })
                    break;
            await Task.Delay(300);
            // The host goes down mid-run: its actor system stops the run's steps, nothing ends the run in the journal.
            await first.Services.GetRequiredService<Akka.Actor.ActorSystem>().Terminate();
            await first.StopAsync();
        }
        SqliteConnection.ClearAllPools();

        using var second = await StartAsync();
        var next = second.Services.GetRequiredService<ILoomClient>();
        var unfinished = (await next.RunsAsync()).Single(r => r.RunId == runId);
        Assert.Null(unfinished.Result);
        Assert.Equal(LoomRunState.Unfinished, (await next.GetRunAsync(runId))!.State);
        var resumed = await next.ResumeAsync(runId);
        Assert.True(resumed.Accepted, string.Join("\n", resumed.Errors));
        File.WriteAllText(Path.Combine(root, "go"), "");
        var seen = await ObserveAllAsync(next, runId);
        // What the journal held comes first, then what the resumed run does.
        Assert.IsType<RunStarted>(seen[0]);
        Assert.Contains(seen, n => n is JobStarted { JobId: "test", Attempt: 2 } or JobInterrupted { JobId: "test" });
        Assert.Equal(Result.Success, Assert.IsType<RunFinished>(seen[^1]).Result);
        // build succeeded before the host went down: it did not run again.
        Assert.Equal(["build", "test", "test"], File.ReadAllLines(Path.Combine(root, "ran.txt")));
        var again = await next.ResumeAsync(runId);
        Assert.False(again.Accepted);
        Assert.Contains("finished", Assert.Single(again.Errors));
        await second.StopAsync();
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("the condition never held");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task When_the_actor_system_terminates_the_host_stops_and_observers_of_a_run_going_on_are_told()
    {
        using var host = await StartAsync();
        var client = host.Services.GetRequiredService<ILoomClient>();
        var submitted = await client.SubmitTextAsync("jobs:\n  long:\n    steps:\n      - run: echo started; sleep 30\n");
        Assert.True(submitted.Accepted);
        using var timeout = new CancellationTokenSource(Patience);
        var observer = client.ObserveAsync(submitted.RunId, timeout.Token).GetAsyncEnumerator(timeout.Token);
        while (await observer.MoveNextAsync() && observer.Current is not OutputLine { Line: "started" })
        {
        }

        // What a downed cluster node or a fatal error does: the actor system goes, and Akka.Hosting stops the whole host.
        var stopped = host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        await host.Services.GetRequiredService<Akka.Actor.ActorSystem>().Terminate();
        await Task.Delay(Timeout.Infinite, stopped).ContinueWith(_ => { }).WaitAsync(Patience);
        Assert.True(stopped.IsCancellationRequested);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            while (await observer.MoveNextAsync())
            {
            }
        });
        Assert.Contains(submitted.RunId, error.Message);
        await observer.DisposeAsync();
        await host.StopAsync();
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
