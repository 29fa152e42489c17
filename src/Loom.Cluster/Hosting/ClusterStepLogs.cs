using Loom.Actors.Hosting;
using Loom.Cluster.Storage;
using Npgsql;

namespace Loom.Cluster.Hosting;

/// <summary>Step logs of a cluster node: every run's output goes to the central PostgreSQL store instead of local files.</summary>
public static class ClusterStepLogs
{
    /// <summary>
    /// Options that send each run's step output to table <c>loom_step_logs</c> of <paramref name="source"/> (created on
    /// first use) through a <see cref="PostgresStepLogSink"/> per run, all runs of the node sharing one
    /// <see cref="PostgresStepLogStore"/>: at most <paramref name="maxUnitBytes"/> per unit attempt (then a truncation
    /// line, as the files have), and at most <paramref name="maxBufferedBytes"/> of a run's lines waiting for the store
    /// (beyond it lines are dropped, counted and marked). Set it as <c>LoomOptions.StepLogs</c>.
    /// </summary>
    public static LoomStepLogOptions PostgresStepLogs(NpgsqlDataSource source, long maxUnitBytes = LoomStepLogOptions.DefaultMaxFileBytes,
        long maxBufferedBytes = PostgresStepLogSink.DefaultMaxBufferedBytes)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBufferedBytes, 1024);
        var store = new PostgresStepLogStore(source, maxUnitBytes);
        return new LoomStepLogOptions
        {
            MaxFileBytes = maxUnitBytes,
            SinkFactory = (runId, log) => new PostgresStepLogSink(store, runId, log, maxBufferedBytes),
        };
    }
}
