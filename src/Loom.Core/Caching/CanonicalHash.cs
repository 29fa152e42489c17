using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Loom.Core.Caching;

/// <summary>
/// SHA-256 over a sequence of fields, each written with its length first (8 bytes, little-endian), so no two
/// different sequences hash the same bytes: ("ab", "c") and ("a", "bc") differ.
/// </summary>
internal sealed class CanonicalHash : IDisposable
{
    private readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public void Add(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        Add(bytes.LongLength);
        hash.AppendData(bytes);
    }

    public void Add(long number)
    {
        Span<byte> bytes = stackalloc byte[sizeof(long)];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, number);
        hash.AppendData(bytes);
    }

    /// <summary>A count, then each pair as two fields, in the order given.</summary>
    public void AddPairs(IReadOnlyCollection<KeyValuePair<string, string>> pairs)
    {
        Add(pairs.Count);
        foreach (var (name, value) in pairs)
        {
            Add(name);
            Add(value);
        }
    }

    /// <summary>As <see cref="AddPairs"/>, sorted by name: a map's order carries no meaning.</summary>
    public void AddMap(IReadOnlyDictionary<string, string> map) =>
        AddPairs(map.OrderBy(p => p.Key, StringComparer.Ordinal).ToArray());

    public string ToHex() => Convert.ToHexStringLower(hash.GetHashAndReset());

    public void Dispose() => hash.Dispose();
}
