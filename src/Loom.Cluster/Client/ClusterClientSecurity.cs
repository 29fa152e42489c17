using Loom.Cluster.Hosting;

namespace Loom.Cluster.Client;

/// <summary>
/// What a client of the cluster (<c>loom run --cluster</c>) presents: the cluster's secret, which every request carries,
/// and the cluster's TLS certificate when the nodes use TLS. Each comes from an option, or else from an environment
/// variable naming the file (<see cref="SecretFileVariable"/>, <see cref="CertificateVariable"/>,
/// <see cref="CertificatePasswordFileVariable"/>): files rather than values, so that the secret is not in the
/// environment that a local run's steps inherit.
/// </summary>
public sealed record ClusterClientSecurity(ClusterSecret? Secret, ClusterTls? Tls)
{
    public const string SecretFileVariable = "LOOM_CLUSTER_SECRET_FILE";
    public const string CertificateVariable = "LOOM_TLS_CERTIFICATE";
    public const string CertificatePasswordFileVariable = "LOOM_TLS_CERTIFICATE_PASSWORD_FILE";

    public static readonly ClusterClientSecurity None = new(null, null);

    /// <summary>Reads the files named by the options, or else by the environment variables.</summary>
    /// <exception cref="InvalidDataException">A file is missing or unusable: one line naming the option and the file.</exception>
    public static ClusterClientSecurity Load(string? secretFile, string? certificate, string? certificatePasswordFile)
    {
        var secretSource = secretFile is null ? SecretFileVariable : "--cluster-secret-file";
        secretFile ??= Variable(SecretFileVariable);
        var certificateSource = certificate is null ? CertificateVariable : "--tls-certificate";
        certificate ??= Variable(CertificateVariable);
        certificatePasswordFile ??= Variable(CertificatePasswordFileVariable);

        ClusterSecret? secret = null;
        if (secretFile is not null)
        {
            try
            {
                secret = ClusterSecret.Load(secretFile);
            }
            catch (Exception e) when (e is IOException or InvalidDataException)
            {
                throw new InvalidDataException($"{secretSource}: {e.Message}");
            }
        }
        ClusterTls? tls = null;
        if (certificate is not null)
        {
            try
            {
                tls = ClusterTls.Load(certificate, certificatePasswordFile);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"{certificateSource}: {e.Message}");
            }
        }
        else if (certificatePasswordFile is not null)
        {
            throw new InvalidDataException($"--tls-certificate-password-file ({CertificatePasswordFileVariable}) is the password of --tls-certificate, which is not given");
        }
        return new ClusterClientSecurity(secret, tls);
    }

    private static string? Variable(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
}
