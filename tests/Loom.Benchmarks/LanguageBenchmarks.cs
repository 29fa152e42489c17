using BenchmarkDotNet.Attributes;
using Loom.Core.Model;
using Loom.Core.Parsing;
using Loom.Core.Planning;

namespace Loom.Benchmarks;

/// <summary>Parse + validate, and graph building, for random DAGs of growing size.</summary>
[MemoryDiagnoser]
public class LanguageBenchmarks
{
    private string yaml = "";
    private Workflow workflow = null!;

    [Params(1_000, 10_000)]
    public int Jobs { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        yaml = WorkflowFiles.Random(Jobs);
        workflow = WorkflowLoader.Load("bench.yml", yaml).Workflow ?? throw new InvalidOperationException("generated workflow is invalid");
    }

    [Benchmark]
    public Workflow? LoadAndValidate() => WorkflowLoader.Load("bench.yml", yaml).Workflow;

    [Benchmark]
    public int BuildGraph() => JobGraph.FromWorkflow(workflow).TopologicalOrder.Count;

    [Benchmark]
    public int CriticalPath() => JobGraph.FromWorkflow(workflow).CriticalPath(_ => 1).Count;
}
