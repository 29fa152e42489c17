using System.Text;

namespace Loom.Core.Tests.Parsing;

/// <summary>Large, valid workflows: job i needs one or two earlier jobs, so the graph is deep and wide.</summary>
internal static class GeneratedWorkflow
{
    public static string WithJobs(int count)
    {
        var yaml = new StringBuilder("name: generated\njobs:\n", count * 120);
        for (var i = 0; i < count; i++)
        {
            yaml.Append("  job_").Append(i).Append(":\n");
            if (i > 0)
                yaml.Append("    needs: [job_").Append(i / 2).Append(", job_").Append(i - 1).Append("]\n");
            yaml.Append("    runs-on: linux\n    env: { N: ").Append(i).Append(" }\n    steps:\n      - run: echo ").Append(i).Append('\n');
        }
        return yaml.ToString();
    }
}
