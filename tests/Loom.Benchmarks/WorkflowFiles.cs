using System.Text;

namespace Loom.Benchmarks;

/// <summary>Generated workflows of the shapes ../shared/bench uses (every job runs <c>true</c>).</summary>
public static class WorkflowFiles
{
    /// <summary>Job i needs 1..min(k, i) random earlier jobs (seeded, so every run sees the same file).</summary>
    public static string Random(int jobs, int k = 3, int seed = 1)
    {
        var random = new Random(seed);
        var yaml = new StringBuilder("name: bench\njobs:\n");
        for (var i = 0; i < jobs; i++)
        {
            yaml.Append("  j").Append(i).Append(":\n");
            if (i > 0)
            {
                var needs = Enumerable.Range(0, Math.Min(k, i)).Select(_ => random.Next(i)).Distinct();
                yaml.Append("    needs: [").AppendJoin(", ", needs.Select(n => $"j{n}")).Append("]\n");
            }
            yaml.Append("    steps:\n      - run: \"true\"\n");
        }
        return yaml.ToString();
    }
}
