namespace Loom.Actors.Scheduling;

/// <summary>
/// Where a run's step output goes: one sink per run, owned by its <see cref="SchedulerActor"/> and called on the
/// actor's thread only, so an implementation needs no locks for what it buffers. No call may block: writing happens
/// elsewhere (pool threads), and a failure to write is logged, never thrown into the scheduler.
/// <see cref="RunLogWriter"/> (files under <c>LoomStepLogOptions.RunsFolder</c>) is the default; a host supplies others
/// through <c>LoomStepLogOptions.SinkFactory</c> (a cluster node: the central PostgreSQL store).
/// </summary>
public interface IStepLogSink
{
    /// <summary>Whether any job printed a line yet: the scheduler starts its flush timer on the first, and a run without output is never closed.</summary>
    bool Started { get; }

    /// <summary>
    /// A line that the attempt <paramref name="attempt"/> of <paramref name="unitId"/> printed in step <paramref name="step"/>
    /// (from 0), named <paramref name="title"/>. A new attempt of a unit closes its previous one.
    /// </summary>
    void Write(string unitId, int attempt, int step, string? title, string line);

    /// <summary>Buffered lines go out (the scheduler calls it every 500 ms while the run prints); attempts stay open.</summary>
    void Flush();

    /// <summary>The unit's current attempt ended: after its last lines, its log is closed (with its truncation line, if any).</summary>
    void Close(string unitId);

    /// <summary>Closes every attempt; the task completes once everything written so far is stored or has failed (the scheduler treats a fault as done).</summary>
    Task CloseAllAsync();
}
