using CsCheck;
using Loom.Core.Planning;

namespace Loom.Core.Tests.Planning;

/// <summary>
/// A random DAG as a workflow file would hold it. Jobs are made in "rank" order, each needing random
/// earlier ranks (repeats included), then placed in the file in shuffled order under shuffled ids,
/// so file order is not a topological order and ids say nothing about position.
/// </summary>
internal sealed record RandomDag(JobNode[] Nodes)
{
    public const int MaxJobs = 200;

    public static readonly Gen<RandomDag> Gen =
        from count in CsCheck.Gen.Int[0, MaxJobs]
        from picks in CsCheck.Gen.Int[0, int.MaxValue].Array[0, 6].Array[count]
        from position in CsCheck.Gen.Shuffle(Enumerable.Range(0, count).ToArray())
        from name in CsCheck.Gen.Shuffle(Enumerable.Range(0, count).ToArray())
        select Make(picks, position, name);

    public int Count => Nodes.Length;

    /// <summary>The file index of every need, repeats removed: the edges as written, independent of <see cref="JobGraph"/>.</summary>
    public int[][] Needs
    {
        get
        {
            var index = Nodes.Select((node, i) => (node.Id, i)).ToDictionary(p => p.Id, p => p.i);
            return Nodes.Select(node => node.Needs.Select(id => index[id]).Distinct().ToArray()).ToArray();
        }
    }

    public JobGraph Graph() =>
        JobGraph.Build(Nodes).Graph ?? throw new InvalidOperationException("a generated DAG was rejected");

    private static RandomDag Make(int[][] picks, int[] position, int[] name)
    {
        var nodes = new JobNode[picks.Length];
        for (var rank = 0; rank < picks.Length; rank++)
        {
            var needs = rank == 0 ? [] : picks[rank].Select(p => Id(name[p % rank])).ToArray();
            nodes[position[rank]] = new JobNode(Id(name[rank]), needs);
        }
        return new RandomDag(nodes);
    }

    private static string Id(int name) => $"job-{name}";

    public override string ToString() =>
        string.Join("; ", Nodes.Select(n => n.Needs.Count == 0 ? n.Id : $"{n.Id} <- {string.Join(",", n.Needs)}"));
}
