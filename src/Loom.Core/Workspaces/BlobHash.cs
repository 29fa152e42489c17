using System.Buffers;
using System.Security.Cryptography;

namespace Loom.Core.Workspaces;

/// <summary>How a workspace's content is addressed: the SHA-256 of the bytes, 64 lowercase hex digits.</summary>
public static class BlobHash
{
    public const int HexLength = 64;

    /// <summary>The hash of no bytes: an empty file's, which nothing ever needs to fetch.</summary>
    public const string Empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    public static string Of(ReadOnlySpan<byte> content) => Convert.ToHexStringLower(SHA256.HashData(content));

    /// <summary>Copies <paramref name="source"/> to its end into <paramref name="destination"/>, hashing on the way.</summary>
    /// <returns>The hash of what was copied and its length, to check against what was expected.</returns>
    public static async Task<(string Hash, long Length)> CopyAsync(Stream source, Stream destination, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            long length = 0;
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                length += read;
            }
            return (Convert.ToHexStringLower(hash.GetHashAndReset()), length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Whether <paramref name="hash"/> has the form of a hash; anything else must never become a file or row name.</summary>
    public static bool IsValid(string? hash) =>
        hash is { Length: HexLength } && hash.AsSpan().IndexOfAnyExcept("0123456789abcdef") < 0;
}

/// <summary>An <see cref="IBlobSource"/> does not have the content of a hash.</summary>
public sealed class BlobMissingException(string hash)
    : Exception($"the content {hash} is not in the blob store (it was never uploaded, or was removed)")
{
    public string Hash { get; } = hash;
}
