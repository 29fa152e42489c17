using System.Security.Cryptography;
using System.Text;

namespace Loom.Cluster.Hosting;

/// <summary>
/// The shared secret of a cluster (<c>--cluster-secret-file</c>): a node that has one answers admin and submit requests
/// only when they carry it. Compared in constant time (as SHA-256 hashes, so not even the length shows), so a wrong
/// guess tells nothing about how close it came.
/// </summary>
/// <remarks>
/// It is checked by Loom's own actors (<see cref="SecretCheck"/>), not by Akka.Remote's association handshake: a peer that
/// can reach the remoting port can still talk to any actor at the Akka level. docs/security.md says what that leaves open.
/// </remarks>
public sealed class ClusterSecret
{
    /// <summary>Shorter secrets are refused at start: they could be guessed over the wire.</summary>
    public const int MinimumLength = 16;

    private readonly byte[] hash;

    private ClusterSecret(string text)
    {
        Text = text;
        hash = SHA256.HashData(Encoding.UTF8.GetBytes(text));
    }

    /// <summary>What clients send with each request.</summary>
    public string Text { get; }

    /// <summary>The file's content without surrounding whitespace (editors add a final newline).</summary>
    /// <exception cref="IOException">The file cannot be read (one line naming it).</exception>
    /// <exception cref="InvalidDataException">The secret is shorter than <see cref="MinimumLength"/>.</exception>
    public static ClusterSecret Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new IOException($"{path}: no such file", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new IOException($"{path}: not readable by this user", e);
        }
        if (text.Length < MinimumLength)
            throw new InvalidDataException($"{path}: the cluster secret must be at least {MinimumLength} characters (it has {text.Length})");
        return new ClusterSecret(text);
    }

    public static ClusterSecret FromText(string text) =>
        text.Trim().Length >= MinimumLength ? new ClusterSecret(text.Trim()) : throw new InvalidDataException($"the cluster secret must be at least {MinimumLength} characters");

    public bool Accepts(string? presented) =>
        presented is not null && CryptographicOperations.FixedTimeEquals(hash, SHA256.HashData(Encoding.UTF8.GetBytes(presented)));
}
