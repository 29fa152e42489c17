namespace Loom.Cluster.Hosting;

/// <summary>
/// What a node's security settings name, read once at start: the cluster secret (<see cref="NodeOptions.ClusterSecretFile"/>)
/// and the TLS certificate (<see cref="NodeOptions.TlsCertificate"/>). Either may be absent.
/// </summary>
public sealed record NodeSecurity(ClusterSecret? Secret, ClusterTls? Tls)
{
    public static readonly NodeSecurity None = new(null, null);

    /// <summary>Reads the files the options name.</summary>
    /// <exception cref="NodeSettingsException">A file is missing, unreadable, too short a secret, or not a usable certificate: one line naming the setting.</exception>
    public static NodeSecurity Load(NodeOptions options)
    {
        ClusterSecret? secret = null;
        if (options.ClusterSecretFile is { } secretFile)
        {
            try
            {
                secret = ClusterSecret.Load(secretFile);
            }
            catch (Exception e) when (e is IOException or InvalidDataException)
            {
                throw new NodeSettingsException($"--cluster-secret-file (Loom:Node:ClusterSecretFile): {e.Message}");
            }
        }
        ClusterTls? tls = null;
        if (options.TlsCertificate is { } certificate)
        {
            try
            {
                tls = ClusterTls.Load(certificate, options.TlsCertificatePasswordFile);
            }
            catch (InvalidDataException e)
            {
                throw new NodeSettingsException($"--tls-certificate (Loom:Node:TlsCertificate): {e.Message}");
            }
        }
        return new NodeSecurity(secret, tls);
    }
}
