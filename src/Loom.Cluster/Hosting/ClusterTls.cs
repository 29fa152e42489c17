using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Event;
using Akka.Remote.Hosting;

namespace Loom.Cluster.Hosting;

/// <summary>
/// TLS for Akka.Remote (<c>--tls-certificate</c>): every node and client of a cluster has the same certificate, a PKCS#12
/// file with its private key. Each connection is mutually authenticated: both ends present the certificate, and each
/// accepts the other only if it presents that very certificate (compared by its SHA-256 hash); the TLS handshake proves
/// the peer holds its private key. Neither a chain of trust nor a host name is consulted: a self-signed certificate
/// works, and a certificate some public CA signed is not enough.
/// </summary>
/// <remarks>
/// Akka.NET 1.5.73's DotNetty transport asks for the client's certificate when <c>require-mutual-authentication</c> is on
/// (its default since 1.5.52) and hands both sides' checks to one <c>CertificateValidationCallback</c> when one is given
/// (<see cref="SslOptions.CustomValidator"/>); this class gives it one that pins the cluster's certificate. See
/// docs/security.md.
/// </remarks>
public sealed class ClusterTls
{
    /// <summary>Akka's address scheme over TLS: a node with TLS is <c>akka.ssl.tcp://loom@host:port</c>.</summary>
    public const string Scheme = "akka.ssl.tcp";

    public const string PlainScheme = "akka.tcp";

    private readonly byte[] hash;

    private ClusterTls(X509Certificate2 certificate)
    {
        Certificate = certificate;
        hash = certificate.GetCertHash(HashAlgorithmName.SHA256);
    }

    public X509Certificate2 Certificate { get; }

    /// <summary>The certificate's SHA-256 hash in hex: what peers must present.</summary>
    public string Thumbprint => Convert.ToHexString(hash);

    /// <summary>Reads and checks the certificate: the file exists, opens with the password, holds a private key, is valid today.</summary>
    /// <param name="passwordFile">A file whose content (without its final line break) is the PKCS#12 password; null for none.</param>
    /// <exception cref="InvalidDataException">One line naming the file and what is wrong with it.</exception>
    public static ClusterTls Load(string path, string? passwordFile)
    {
        if (!File.Exists(path))
            throw new InvalidDataException($"{path}: no such file");
        var password = passwordFile is null ? null : ReadPassword(passwordFile);
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(path, password);
        }
        catch (CryptographicException e)
        {
            throw new InvalidDataException($"{path}: not a PKCS#12 (.pfx) certificate that {(password is null ? "opens without a password" : "this password opens")} ({e.Message.TrimEnd('.')})");
        }
        catch (UnauthorizedAccessException)
        {
            throw new InvalidDataException($"{path}: not readable by this user");
        }
        if (!certificate.HasPrivateKey)
            throw new InvalidDataException($"{path}: the certificate has no private key (a node proves with it that it holds the cluster's certificate)");
        var now = DateTime.Now;
        if (certificate.NotAfter < now)
            throw new InvalidDataException($"{path}: the certificate expired on {certificate.NotAfter.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)}");
        if (certificate.NotBefore > now)
            throw new InvalidDataException($"{path}: the certificate is not valid before {certificate.NotBefore.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)}");
        return new ClusterTls(certificate);
    }

    private static string ReadPassword(string passwordFile)
    {
        try
        {
            // Only the line break an editor or `echo` adds: a password may begin or end with spaces.
            return File.ReadAllText(passwordFile).TrimEnd('\r', '\n');
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new InvalidDataException($"{passwordFile}: no such file");
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new InvalidDataException($"{passwordFile}: not readable by this user");
        }
    }

    /// <summary>Whether <paramref name="peer"/> is the cluster's certificate.</summary>
    public bool Accepts(X509Certificate2? peer) =>
        peer is not null && CryptographicOperations.FixedTimeEquals(hash, peer.GetCertHash(HashAlgorithmName.SHA256));

    /// <summary>Akka.Remote's settings: binds <paramref name="host"/>:<paramref name="port"/>, with TLS when <paramref name="tls"/> is given.</summary>
    public static RemoteOptions RemoteOptions(string host, int port, ClusterTls? tls)
    {
        var options = new RemoteOptions { HostName = host, Port = port };
        if (tls is not null)
        {
            options.EnableSsl = true;
            options.Ssl = new SslOptions
            {
                X509Certificate = tls.Certificate,
                // Both ends present the certificate, and the callback below decides for both: no chain, no host name.
                RequireMutualAuthentication = true,
                ValidateCertificateHostname = false,
                SuppressValidation = false,
                CustomValidator = tls.Validate,
            };
        }
        return options;
    }

    private bool Validate(X509Certificate2? certificate, X509Chain? chain, string peer, System.Net.Security.SslPolicyErrors errors, ILoggingAdapter log)
    {
        if (Accepts(certificate))
            return true;
        log.Warning("TLS: refused {0}: it presented {1}, not the cluster's certificate ({2})", peer,
            certificate is null ? "no certificate" : $"{certificate.Subject} (SHA-256 {certificate.GetCertHashString(HashAlgorithmName.SHA256)[..16]}…)", Thumbprint[..16] + "…");
        return false;
    }
}
