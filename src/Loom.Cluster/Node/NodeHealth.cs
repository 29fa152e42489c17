using System.Globalization;
using Akka.Actor;
using Akka.Cluster;
using Akka.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Loom.Cluster.Node;

/// <summary>What a node's health is decided from, read at one moment (<see cref="NodeHealthCheck"/> gathers it).</summary>
/// <param name="Terminated">The actor system has terminated.</param>
/// <param name="Stopping">Why coordinated shutdown runs (<c>ClrExitReason</c> after SIGTERM, <c>ClusterLeavingReason</c>,
/// <c>ClusterDowningReason</c>, ...); null while it does not.</param>
/// <param name="SelfStatus">This node's own member status (<c>Removed</c> until it has joined a cluster).</param>
/// <param name="Gate">The node gate's answer; null when it did not answer within <see cref="NodeHealth.GateTimeout"/>.</param>
public sealed record NodeHealthSnapshot(bool Terminated, string? Stopping, MemberStatus SelfStatus, NodeGate.Status? Gate);

/// <summary>A check's outcome and the one short phrase that explains it.</summary>
public sealed record NodeHealthVerdict(bool Healthy, string Reason);

/// <summary>
/// When a node is alive and when it is ready (docs/cluster.md, "Health"). Plain functions of a <see cref="NodeHealthSnapshot"/>:
/// <list type="bullet">
/// <item><b>alive</b>: the actor system has not terminated and its actors answer (the gate within <see cref="GateTimeout"/>).
/// A node that fails this for a while is wedged and should be restarted. Draining, joining or leaving nodes are alive.</item>
/// <item><b>ready</b>: alive, an <c>Up</c> member (not joining, weakly up, leaving, exiting or down), not stopping or
/// draining: the coordinator's dispatcher places jobs on it. A node that is full is still ready. Nothing about other
/// nodes or the coordinator singleton is asked: a readiness that waits for others can hold up the cluster's own start
/// and would take every pod out at once during a singleton hand-over.</item>
/// </list>
/// </summary>
public static class NodeHealth
{
    /// <summary>How long the gate may take to answer; probes' timeouts must be longer.</summary>
    public static readonly TimeSpan GateTimeout = TimeSpan.FromSeconds(2);

    public static NodeHealthVerdict Alive(NodeHealthSnapshot node)
    {
        if (node.Terminated)
            return new(false, "the actor system has terminated");
        if (node.Gate is null)
            return new(false, $"the node's actors did not answer within {GateTimeout.TotalSeconds:0} s");
        return new(true, node.Stopping is null ? "running" : $"running, stopping ({node.Stopping})");
    }

    public static NodeHealthVerdict Ready(NodeHealthSnapshot node)
    {
        if (Alive(node) is { Healthy: false } dead)
            return dead;
        if (node.Stopping is not null)
            return new(false, $"the node is stopping ({node.Stopping})");
        if (node.Gate!.Draining)
            return new(false, "the node is draining: it takes no more jobs");
        return node.SelfStatus switch
        {
            MemberStatus.Up => new(true, string.Create(CultureInfo.InvariantCulture,
                $"an Up member taking jobs ({node.Gate.Holders.Count} of {node.Gate.Capacity} slots taken)")),
            MemberStatus.Joining => new(false, "not an Up member yet (Joining)"),
            // Akka.NET reports Removed before the node has joined; a node removed after it was a member is stopping (above).
            MemberStatus.Removed => new(false, "not an Up member yet (not joined)"),
            MemberStatus.WeaklyUp => new(false, "WeaklyUp: not Up until the cluster's members are all reachable again"),
            var status => new(false, $"member status {status}: the node is leaving the cluster or has left it"),
        };
    }
}

/// <summary>
/// The node's health as an Akka.Hosting health check (registered with <c>WithHealthCheck</c>, run by
/// Microsoft.Extensions.Diagnostics.HealthChecks): gathers a <see cref="NodeHealthSnapshot"/> and applies
/// <see cref="NodeHealth.Alive"/> or <see cref="NodeHealth.Ready"/>.
/// </summary>
public sealed class NodeHealthCheck(bool ready) : IAkkaHealthCheck
{
    /// <summary>The checks' tags, as Akka.Hosting's own checks have them (<c>WithActorSystemLivenessCheck</c>, <c>WithAkkaClusterReadinessCheck</c>).</summary>
    public const string LivenessTag = "liveness";
    public const string ReadinessTag = "ready";

    public async Task<HealthCheckResult> CheckHealthAsync(AkkaHealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var node = await SnapshotAsync(context.ActorSystem, cancellationToken).ConfigureAwait(false);
        var verdict = ready ? NodeHealth.Ready(node) : NodeHealth.Alive(node);
        return new HealthCheckResult(verdict.Healthy ? HealthStatus.Healthy : context.Registration.FailureStatus, verdict.Reason);
    }

    public static async Task<NodeHealthSnapshot> SnapshotAsync(ActorSystem system, CancellationToken cancellationToken)
    {
        var terminated = system.WhenTerminated.IsCompleted;
        NodeGate.Status? gate = null;
        if (!terminated)
        {
            try
            {
                gate = await ActorRegistry.For(system).Get<NodeGateKey>()
                    .Ask<NodeGate.Status>(NodeGate.GetStatus.Instance, NodeHealth.GateTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is AskTimeoutException or OperationCanceledException)
            {
                // No answer: the snapshot says so.
            }
        }
        var stopping = CoordinatedShutdown.Get(system).ShutdownReason?.GetType().Name;
        return new NodeHealthSnapshot(system.WhenTerminated.IsCompleted, stopping, Akka.Cluster.Cluster.Get(system).SelfMember.Status, gate);
    }
}
