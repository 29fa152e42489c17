namespace Loom.Actors.Protocol;

/// <summary>
/// Marker for every message that may cross the wire or be persisted. Bound to
/// <see cref="Serialization.LoomMessageSerializer"/> so nothing falls back to Newtonsoft silently.
/// </summary>
public interface ILoomMessage;
