using Loom.Actors.Tests.Persistence;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Loom.Cli.Tests.Conformance;

/// <summary>
/// The conformance cases of one section, in one mode. Each section is an abstract class of cases with two nested
/// classes: <c>Local</c> runs every case with a plain <c>loom run</c>, <c>OnCluster</c> runs it again with
/// <c>loom run --cluster</c> against <see cref="ConformanceCluster"/> (issue 5: "local and cluster runs of one file give
/// the same results"). A case writes its workspace with <see cref="NewWorkspace"/> and runs loom through it
/// (<see cref="LoomRun"/>, <see cref="Workspace.LoomAsync"/>), and reads what jobs wrote with <see cref="Workspace.Read"/>,
/// <see cref="Workspace.Exists"/> and <see cref="Workspace.Files"/>: the same case body holds in both modes.
/// </summary>
public abstract class ConformanceTests(ConformanceCluster? cluster)
{
    /// <summary>Null in local mode.</summary>
    protected ConformanceCluster? Cluster { get; } = cluster;

    protected Workspace NewWorkspace(string yaml, string fileName = ".loom.yml") => new(yaml, fileName) { Cluster = Cluster };
}

/// <summary>Marks the nested class that runs a section's cases on the cluster.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class ClusterModeAttribute : Attribute;

/// <summary>A conformance case: a fact in local mode and in cluster mode, unless marked <see cref="NotOnClusterAttribute"/>.</summary>
[XunitTestCaseDiscoverer("Loom.Cli.Tests.Conformance.CaseDiscoverer", "Loom.Cli.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class CaseAttribute : FactAttribute;

/// <summary>A conformance theory: its rows run in local mode and in cluster mode, as <see cref="CaseAttribute"/>'s facts do.</summary>
[XunitTestCaseDiscoverer("Loom.Cli.Tests.Conformance.CaseTheoryDiscoverer", "Loom.Cli.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class CaseTheoryAttribute : TheoryAttribute;

/// <summary>The case cannot hold on a cluster by design (it is skipped there, with this reason).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class NotOnClusterAttribute(string reason) : Attribute
{
    public const string Prefix = "not applicable on a cluster: ";

    public string Reason { get; } = reason;
}

/// <summary>
/// Discovers a <see cref="CaseAttribute"/> case: in a <see cref="ClusterModeAttribute"/> class it is skipped with the
/// reason of its <see cref="NotOnClusterAttribute"/>, or when PostgreSQL is
/// neither set nor required (with <c>LOOM_REQUIRE_POSTGRES=1</c> and no server the cluster fixture fails instead).
/// </summary>
public sealed class CaseDiscoverer(IMessageSink diagnosticMessageSink) : IXunitTestCaseDiscoverer
{
    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute)
    {
        var display = discoveryOptions.MethodDisplayOrDefault();
        var displayOptions = discoveryOptions.MethodDisplayOptionsOrDefault();
        var skip = SkipReason(testMethod);
        return
        [
            skip is null
                ? new XunitTestCase(diagnosticMessageSink, display, displayOptions, testMethod)
                : new XunitSkippedDataRowTestCase(diagnosticMessageSink, display, displayOptions, testMethod, skip),
        ];
    }

    /// <summary>Why the case does not run in the mode of its class; null when it runs.</summary>
    internal static string? SkipReason(ITestMethod testMethod) =>
        testMethod.TestClass.Class.GetCustomAttributes(typeof(ClusterModeAttribute)).Any() ? ClusterSkipReason(testMethod.Method) : null;

    private static string? ClusterSkipReason(IMethodInfo method)
    {
        if (method.GetCustomAttributes(typeof(NotOnClusterAttribute)).FirstOrDefault() is { } notApplicable)
            return NotOnClusterAttribute.Prefix + notApplicable.GetConstructorArguments().Single();
        return TestPostgres.SkipReason;
    }
}

/// <summary>Discovers a <see cref="CaseTheoryAttribute"/> theory: its rows, or one skipped case where <see cref="CaseDiscoverer"/> would skip.</summary>
public sealed class CaseTheoryDiscoverer(IMessageSink diagnosticMessageSink) : IXunitTestCaseDiscoverer
{
    private readonly TheoryDiscoverer theories = new(diagnosticMessageSink);

    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute) =>
        CaseDiscoverer.SkipReason(testMethod) is { } skip
            ? [new XunitSkippedDataRowTestCase(diagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod, skip)]
            : theories.Discover(discoveryOptions, testMethod, factAttribute);
}
