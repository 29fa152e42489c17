using System.Diagnostics;
using System.Text.RegularExpressions;
using CsCheck;
using Loom.Core.Parsing;
using Xunit.Abstractions;

namespace Loom.Core.Tests.Parsing;

/// <summary>
/// Property: for any text, <see cref="WorkflowLoader.Load"/> returns (never throws), every error is one well-formed
/// line, and no input takes a second. <c>LOOM_FUZZ_COUNT</c> sets the number of inputs (see docs/benchmarks.md).
/// </summary>
public sealed partial class FuzzTests(ITestOutputHelper output)
{
    private const int DefaultCount = 2_000;
    private static readonly TimeSpan MaxPerInput = TimeSpan.FromSeconds(1);

    [GeneratedRegex(@"^fuzz\.yml:\d+:\d+: error: .+$")]
    private static partial Regex DiagnosticLine();

    private static int Count =>
        int.TryParse(Environment.GetEnvironmentVariable("LOOM_FUZZ_COUNT"), out var count) && count > 0 ? count : DefaultCount;

    [Fact]
    public void Fuzz_load_never_throws_and_reports_well_formed_errors()
    {
        WorkflowLoader.Load("fuzz.yml", "jobs: {}"); // JIT outside the timed inputs
        var gate = new Lock();
        var slowest = (Time: TimeSpan.Zero, Input: (FuzzInput?)null);
        var total = Stopwatch.StartNew();

        FuzzInputs.Any.Sample(input =>
        {
            var watch = Stopwatch.StartNew();
            var result = WorkflowLoader.Load("fuzz.yml", input.Text);
            var elapsed = watch.Elapsed;

            Assert.True(result.Succeeded ^ result.Errors.Count > 0, "a result is a workflow or errors, never both or neither");
            foreach (var error in result.Errors)
                Assert.Matches(DiagnosticLine(), error.ToString());
            Assert.True(elapsed < MaxPerInput, $"took {elapsed.TotalMilliseconds:F0} ms");
            lock (gate)
            {
                if (elapsed > slowest.Time)
                    slowest = (elapsed, input);
            }
        }, iter: Count, writeLine: output.WriteLine);

        output.WriteLine($"{Count} inputs in {total.Elapsed.TotalSeconds:F1} s; slowest {slowest.Time.TotalMilliseconds:F1} ms: {slowest.Input}");
    }
}
