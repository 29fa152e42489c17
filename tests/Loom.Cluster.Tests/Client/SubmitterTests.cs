using Akka.Actor;
using Loom.Actors.Protocol;
using Loom.Actors.Tests.Persistence;
using Loom.Cluster.Client;
using Loom.Cluster.Hosting;
using Loom.Cluster.Protocol;
using Loom.Core.Model;
using Loom.Core.Workspaces;

namespace Loom.Cluster.Tests.Client;

/// <summary>A submitter outside the cluster (its own actor system, a ClusterClient) sends a workspace and follows a run.</summary>
public sealed class SubmitterTests : IAsyncLifetime
{
    private TestPostgres? postgres;
    private readonly string workspace = Directory.CreateTempSubdirectory("loom-submit-").FullName;

    public async Task InitializeAsync()
    {
        if (TestPostgres.SkipReason is null)
            postgres = await TestPostgres.CreateDatabaseAsync();
    }

    public async Task DisposeAsync()
    {
        if (postgres is not null)
            await postgres.DisposeAsync();
        Directory.Delete(workspace, recursive: true);
    }

    [PostgresFact]
    public async Task The_workspace_reaches_every_node_that_runs_a_job_and_a_second_run_sends_no_file_again()
    {
        await using var cluster = await TestCluster.StartAsync(postgres!.ConnectionString, new NodeOptions { Labels = ["left"] }, new NodeOptions { Labels = ["right"] });
        File.WriteAllText(Path.Combine(workspace, "data.txt"), "forty-two\n");
        Directory.CreateDirectory(Path.Combine(workspace, "tools"));
        File.WriteAllText(Path.Combine(workspace, "tools", "greet.sh"), "#!/bin/sh\necho \"hello from $(basename \"$PWD\")\"\n");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(Path.Combine(workspace, "tools", "greet.sh"), (UnixFileMode)Convert.ToInt32("755", 8));
        File.WriteAllText(Path.Combine(workspace, ".gitignore"), "secret.env\n");
        File.WriteAllText(Path.Combine(workspace, "secret.env"), "TOKEN=1\n");
        var workflow = """
            jobs:
              a:
                runs-on: left
                steps:
                  - run: cat data.txt && ./tools/greet.sh && test ! -e secret.env && echo "on $LOOM_NODE"
              b:
                runs-on: right
                steps:
                  - run: cat data.txt && ./tools/greet.sh && test ! -e secret.env && echo "on $LOOM_NODE"
            """;
        var address = Akka.Cluster.Cluster.Get(cluster.Systems[1]).SelfAddress;
        await using var submitter = await ClusterSubmitter.ConnectAsync([$"{address.Host}:{address.Port}"]);

        var manifest = WorkspaceScanner.Scan(workspace);
        var files = await submitter.UploadAsync(manifest, workspace, CancellationToken.None);
        var (finished, lines) = await FollowAsync(submitter, workflow, files);

        Assert.Equal(Result.Success, finished.Result);
        Assert.Equal(2, lines.Count(l => l == "forty-two"));
        Assert.Equal(2, lines.Count(l => l == "hello from work"));
        Assert.Equal(2, lines.Where(l => l.StartsWith("on ")).Distinct().Count());

        // The same files again: the cluster has every blob, nothing is sent.
        var missing = await submitter.Client.Ask<ClusterProtocol.BlobsMissing>(new Akka.Cluster.Tools.Client.ClusterClient.Send(
            LoomClusterHostingExtensions.CoordinatorProxyPath, new ClusterProtocol.FindMissingBlobs(manifest.DistinctHashes())), TimeSpan.FromSeconds(30));
        Assert.Empty(missing.Hashes);
    }

    private static async Task<(RunEvents.RunFinished Finished, List<string> Lines)> FollowAsync(ClusterSubmitter submitter, string workflow, string files)
    {
        var runId = "s" + Guid.NewGuid().ToString("N")[..8];
        var notifications = submitter.Follow(new ClusterProtocol.SubmitRun(runId, workflow, "/submitter/project/.loom.yml", ".loom.yml", files, [], null, RunContexts.Empty, false, false, Follow: true));
        var lines = new List<string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await foreach (var notification in notifications.ReadAllAsync(timeout.Token))
        {
            switch (notification)
            {
                case RunEvents.OutputLine line:
                    lines.Add(line.Line);
                    break;
                case RunEvents.RunFinished finished:
                    return (finished, lines);
                case LoomProtocol.RunRejected rejected:
                    throw new InvalidOperationException(string.Join("\n", rejected.Errors));
            }
        }
        throw new InvalidOperationException("the run's notifications ended without RunFinished");
    }
}
