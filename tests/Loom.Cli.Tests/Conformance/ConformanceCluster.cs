using Loom.Actors.Tests.Persistence;
using Loom.Cluster.Tests.Support;

namespace Loom.Cli.Tests.Conformance;

/// <summary>
/// The cluster the conformance cases run on in cluster mode: two real <c>loom serve</c> nodes (the built loom.dll, as
/// <see cref="ServeProcess"/> starts them) serving every label (<c>--labels '*'</c>) with 4 slots each, on a PostgreSQL
/// database of their own, created here and dropped at the end. One cluster serves the whole conformance collection; its
/// cases submit to it in parallel.
/// </summary>
public sealed class ConformanceCluster : IAsyncLifetime
{
    public const string Collection = "conformance on a cluster";

    private const int NodeCount = 2;
    private readonly string folder = Directory.CreateTempSubdirectory("loom-conformance-cluster-").FullName;
    private readonly List<ServeProcess> nodes = [];
    private TestPostgres? database;

    /// <summary>The nodes as <c>loom run --cluster</c> takes them: <c>HOST:PORT,HOST:PORT</c>.</summary>
    public string Contacts { get; private set; } = "";

    /// <summary>Each node's <c>--workspace</c>.</summary>
    public IReadOnlyList<string> NodeWorkspaces { get; private set; } = [];

    /// <summary>The folder a run's jobs ran in on each node (<c>&lt;node workspace&gt;/runs/&lt;run&gt;/work</c>), whether or not any ran there.</summary>
    public IEnumerable<string> RunFolders(string runId) => NodeWorkspaces.Select(w => Path.Combine(w, "runs", runId, "work"));

    public async Task InitializeAsync()
    {
        // Without PostgreSQL (and not required) the cluster cases are skipped at discovery: nothing to start.
        if (TestPostgres.SkipReason is not null)
            return;
        database = await TestPostgres.CreateDatabaseAsync();
        var ports = Enumerable.Range(0, NodeCount).Select(_ => ServeProcess.FreePort()).ToArray();
        NodeWorkspaces = ports.Select((_, i) => Path.Combine(folder, $"node-{i}")).ToList();
        Contacts = string.Join(',', ports.Select(p => $"127.0.0.1:{p}"));
        // The first node is the only seed: it forms the cluster at once (no seed-node-timeout), the other joins it.
        for (var i = 0; i < NodeCount; i++)
        {
            nodes.Add(ServeProcess.Start(folder,
                "serve", "--port", ports[i].ToString(), "--seed", $"127.0.0.1:{ports[0]}", "--labels", "*", "--capacity", "4",
                "--workspace", NodeWorkspaces[i], "--db", database.ConnectionString, "--drain-timeout", "1s"));
        }
        foreach (var port in ports)
            await nodes[0].WaitForLineAsync(l => l.Contains($"member up akka.tcp://loom@127.0.0.1:{port} ", StringComparison.Ordinal));
        for (var i = 1; i < NodeCount; i++)
            await nodes[i].WaitForLineAsync(l => l.Contains("node up ", StringComparison.Ordinal));
    }

    public async Task DisposeAsync()
    {
        foreach (var node in nodes)
            node.Dispose();
        if (database is not null)
            await database.DisposeAsync();
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

[CollectionDefinition(ConformanceCluster.Collection)]
public sealed class ConformanceClusterCollection : ICollectionFixture<ConformanceCluster>;
