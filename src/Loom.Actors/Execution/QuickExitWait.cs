namespace Loom.Actors.Execution;

/// <summary>
/// When a step's starter waits on its own thread for the step to end before handing it to the reactor (see
/// <see cref="StepProcess"/>). Most short steps (make-style one-liners) end within <see cref="Budget"/>, and then, if
/// they printed nothing, their end needs no hand-off from the reactor to the pool: the runner goes on with its next step
/// or its report on the same thread ("The runner waits a moment" in docs/benchmarks.md). What a step prints meanwhile
/// waits in its pipe until the step has ended or the budget is spent. The starter waits only while no more steps run than
/// <c>maxSteps</c> (with more, the machine is busy and a thread held for a step that then runs on costs the other
/// steps), and at most <c>maxSteps</c> starters wait at once.
/// </summary>
internal sealed class QuickExitWait(TimeSpan budget, int maxSteps)
{
    /// <summary>1.5 ms, while no more steps run than there are cores.</summary>
    public static readonly QuickExitWait Default = new(TimeSpan.FromMilliseconds(1.5), Environment.ProcessorCount);

    private int running;
    private int waiting;

    public TimeSpan Budget => budget;

    public void StepStarted() => Interlocked.Increment(ref running);

    public void StepEnded() => Interlocked.Decrement(ref running);

    /// <summary>True when the caller may wait now; it then calls <see cref="EndWait"/>.</summary>
    public bool TryBeginWait()
    {
        if (budget <= TimeSpan.Zero || Volatile.Read(ref running) > maxSteps)
            return false;
        if (Interlocked.Increment(ref waiting) <= maxSteps)
            return true;
        Interlocked.Decrement(ref waiting);
        return false;
    }

    public void EndWait() => Interlocked.Decrement(ref waiting);
}
