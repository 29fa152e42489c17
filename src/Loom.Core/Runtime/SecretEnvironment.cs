namespace Loom.Core.Runtime;

/// <summary>Secrets given as environment variables: <c>LOOM_SECRET_&lt;NAME&gt;</c> (spec §6).</summary>
public static class SecretEnvironment
{
    public const string Prefix = "LOOM_SECRET_";

    /// <summary>Each <c>LOOM_SECRET_NAME</c> as <c>NAME</c>. Looked up case-insensitively, as
    /// <c>secrets.NAME</c> is in GitHub; the prefix itself must be upper case, as environment names are case-sensitive.</summary>
    public static IReadOnlyDictionary<string, string> Collect(IEnumerable<KeyValuePair<string, string?>> environment)
    {
        var secrets = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in environment)
        {
            if (name.Length > Prefix.Length && name.StartsWith(Prefix, StringComparison.Ordinal) && value is not null)
                secrets[name[Prefix.Length..]] = value;
        }
        return secrets;
    }
}
