using Loom.Cluster.Client;
using Loom.Cluster.Hosting;
using Loom.Cluster.Tests.Support;
using Microsoft.Extensions.Configuration;

namespace Loom.Cluster.Tests.Security;

/// <summary>The security settings of nodes and clients: what is required, and how a bad file is reported (one line naming the setting).</summary>
public sealed class SecuritySettingsTests : IDisposable
{
    private const string Secret = "s3cret-of-the-cluster-0123456789";
    private readonly string folder = Directory.CreateTempSubdirectory("loom-security-").FullName;

    private static NodeOptions Load(params (string Key, string Value)[] settings) =>
        NodeConfiguration.Load(new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>("Loom:Node:" + s.Key, s.Value)))
            .Build());

    private static string Problem(params (string Key, string Value)[] settings) =>
        Assert.Throws<NodeSettingsException>(() => Load(settings)).Message;

    private string File(string name, string content)
    {
        var path = Path.Combine(folder, name);
        System.IO.File.WriteAllText(path, content);
        return path;
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.0.0.2", true)]
    [InlineData("localhost", true)]
    [InlineData("LOCALHOST", true)]
    [InlineData("0.0.0.0", false)]
    [InlineData("10.0.0.1", false)]
    [InlineData("loom1", false)]
    [InlineData("localhost.example.com", false)]
    public void Only_localhost_and_loopback_addresses_are_loopback(string host, bool loopback) =>
        Assert.Equal(loopback, NodeOptions.IsLoopback(host));

    [Fact]
    public void A_node_that_binds_a_non_loopback_address_needs_a_secret()
    {
        Assert.Equal(
            "--hostname 10.0.0.1 is not a loopback address, so other machines can reach this node: give the cluster a shared secret with --cluster-secret-file (Loom:Node:ClusterSecretFile), or keep the default 127.0.0.1 (see docs/security.md)",
            Problem(("Hostname", "10.0.0.1")));
        Assert.Contains("--hostname 0.0.0.0 is not a loopback address", Problem(("Hostname", "0.0.0.0")));
        Assert.Equal("/run/secrets/loom", Load(("Hostname", "10.0.0.1"), ("ClusterSecretFile", "/run/secrets/loom")).ClusterSecretFile);
        // Loopback needs none, and takes one.
        Assert.Null(Load().ClusterSecretFile);
        Assert.Null(Load(("Hostname", "localhost")).ClusterSecretFile);
        Assert.Null(Load(("ClusterSecretFile", "")).ClusterSecretFile);
    }

    [Fact]
    public void A_password_file_without_a_certificate_is_refused() =>
        Assert.Equal("--tls-certificate-password-file (Loom:Node:TlsCertificatePasswordFile) is the password of --tls-certificate, which is not given",
            Problem(("TlsCertificatePasswordFile", "/etc/loom/pfx-password")));

    [Fact]
    public void The_secret_file_must_exist_and_hold_a_long_enough_secret()
    {
        var missing = Path.Combine(folder, "missing");
        Assert.Equal($"--cluster-secret-file (Loom:Node:ClusterSecretFile): {missing}: no such file",
            Assert.Throws<NodeSettingsException>(() => NodeSecurity.Load(new NodeOptions { ClusterSecretFile = missing })).Message);
        var shortOne = File("short", "tiny\n");
        Assert.Equal($"--cluster-secret-file (Loom:Node:ClusterSecretFile): {shortOne}: the cluster secret must be at least 16 characters (it has 4)",
            Assert.Throws<NodeSettingsException>(() => NodeSecurity.Load(new NodeOptions { ClusterSecretFile = shortOne })).Message);

        // The final newline an editor adds is not part of it; the comparison is exact otherwise.
        var secret = NodeSecurity.Load(new NodeOptions { ClusterSecretFile = File("secret", Secret + "\n") }).Secret!;
        Assert.True(secret.Accepts(Secret));
        Assert.False(secret.Accepts(Secret + "x"));
        Assert.False(secret.Accepts(Secret[..^1]));
        Assert.False(secret.Accepts(null));
        Assert.False(secret.Accepts(""));
        Assert.Equal(NodeSecurity.None, NodeSecurity.Load(new NodeOptions()));
    }

    [Fact]
    public void The_certificate_must_load_with_its_password_hold_a_private_key_and_be_valid_today()
    {
        using var certificate = TestCertificates.Create("loom-test");
        var pfx = TestCertificates.WritePfx(Path.Combine(folder, "cluster.pfx"), certificate, "pfx password ");
        var password = File("password", "pfx password \n");
        string ProblemWith(string path, string? passwordFile) =>
            Assert.Throws<NodeSettingsException>(() => NodeSecurity.Load(new NodeOptions { TlsCertificate = path, TlsCertificatePasswordFile = passwordFile })).Message;

        var tls = NodeSecurity.Load(new NodeOptions { TlsCertificate = pfx, TlsCertificatePasswordFile = password }).Tls!;
        Assert.True(tls.Certificate.HasPrivateKey);
        Assert.True(tls.Accepts(certificate));
        using (var other = TestCertificates.Create("loom-test"))
            Assert.False(tls.Accepts(other));
        Assert.False(tls.Accepts(null));

        Assert.Equal($"--tls-certificate (Loom:Node:TlsCertificate): {pfx}.x: no such file", ProblemWith(pfx + ".x", password));
        Assert.StartsWith($"--tls-certificate (Loom:Node:TlsCertificate): {pfx}: not a PKCS#12 (.pfx) certificate that opens without a password (", ProblemWith(pfx, null));
        Assert.StartsWith($"--tls-certificate (Loom:Node:TlsCertificate): {pfx}: not a PKCS#12 (.pfx) certificate that this password opens (", ProblemWith(pfx, File("wrong", "another")));
        Assert.Equal($"--tls-certificate (Loom:Node:TlsCertificate): {password}.x: no such file", ProblemWith(pfx, password + ".x"));
        Assert.StartsWith($"--tls-certificate (Loom:Node:TlsCertificate): {password}: not a PKCS#12", ProblemWith(password, null));
        var keyless = TestCertificates.WritePfxWithoutKey(Path.Combine(folder, "keyless.pfx"), certificate);
        Assert.Equal($"--tls-certificate (Loom:Node:TlsCertificate): {keyless}: the certificate has no private key (a node proves with it that it holds the cluster's certificate)",
            ProblemWith(keyless, null));
        using var old = TestCertificates.Create("old", DateTimeOffset.UtcNow.AddDays(-10), DateTimeOffset.UtcNow.AddDays(-1));
        var expired = TestCertificates.WritePfx(Path.Combine(folder, "expired.pfx"), old);
        Assert.StartsWith($"--tls-certificate (Loom:Node:TlsCertificate): {expired}: the certificate expired on ", ProblemWith(expired, null));
        foreach (var problem in new[] { ProblemWith(pfx, null), ProblemWith(keyless, null), ProblemWith(expired, null) })
            Assert.DoesNotContain('\n', problem);
    }

    [Fact]
    public void A_client_reads_its_files_and_names_the_option_of_a_bad_one()
    {
        Assert.Equal(ClusterClientSecurity.None, ClusterClientSecurity.Load(null, null, null));
        var secret = ClusterClientSecurity.Load(File("secret", Secret), null, null).Secret;
        Assert.Equal(Secret, secret!.Text);
        Assert.Equal($"--cluster-secret-file: {folder}/nope: no such file",
            Assert.Throws<InvalidDataException>(() => ClusterClientSecurity.Load(Path.Combine(folder, "nope"), null, null)).Message);
        Assert.Equal($"--tls-certificate: {folder}/nope.pfx: no such file",
            Assert.Throws<InvalidDataException>(() => ClusterClientSecurity.Load(null, Path.Combine(folder, "nope.pfx"), null)).Message);
        Assert.Equal("--tls-certificate-password-file (LOOM_TLS_CERTIFICATE_PASSWORD_FILE) is the password of --tls-certificate, which is not given",
            Assert.Throws<InvalidDataException>(() => ClusterClientSecurity.Load(null, null, File("pw", "x"))).Message);
    }

    [Fact]
    public void With_tls_the_seeds_are_addressed_over_tls()
    {
        var options = Load(("Seeds", "b:2552,a:2552"), ("Db", "Host=db"), ("TlsCertificate", "/etc/loom/cluster.pfx"));
        var config = Akka.Configuration.ConfigurationFactory.ParseString(LoomNode.NodeHocon(options));
        Assert.Equal(["akka.ssl.tcp://loom@b:2552", "akka.ssl.tcp://loom@a:2552"], config.GetStringList("akka.cluster.seed-nodes"));
        Assert.Equal("akka.tcp", Load().RemotingScheme);
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);
}
