namespace Loom.Actors.Execution;

/// <summary>
/// A process that a reused pid cannot impersonate: the pid and its start time in clock ticks
/// after boot (field 22 of <c>/proc/&lt;pid&gt;/stat</c>).
/// </summary>
public readonly record struct ProcessIdentity(int Pid, long StartTimeTicks);
