using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Loom.Benchmarks.WorkflowFiles).Assembly).Run(args);
