using System.Net;

namespace Loom.Web;

/// <summary>
/// Where the web view listens: a loopback address, or (a node's view) any address when the cluster secret is there to
/// check every request with, as <c>loom ctl</c>'s are checked.
/// </summary>
public sealed record WebViewOptions
{
    public const string DefaultHost = "127.0.0.1";

    /// <summary><c>127.0.0.1</c>, <c>::1</c>, <c>localhost</c> or another loopback address.</summary>
    public string Host { get; init; } = DefaultHost;

    /// <summary>0 picks a free port.</summary>
    public int Port { get; init; }

    /// <summary>
    /// Whether a presented secret is the cluster's (<c>ClusterSecret.Accepts</c>); null: the view has none and serves on
    /// loopback only. Checked on every request of a view on any other address.
    /// </summary>
    public Func<string?, bool>? CheckSecret { get; init; }

    /// <summary>Serve HTTPS with this certificate (a node's <c>--tls-certificate</c>); null: HTTP.</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? Certificate { get; init; }

    /// <summary>Told of each refused sign-in or request (the node's log); never given what was presented.</summary>
    public Action<string>? OnRefused { get; init; }

    /// <summary>What the pages call this view (<c>loom run</c> in a workspace, a node's address).</summary>
    public string Title { get; init; } = "loom";

    /// <summary>The address to listen on; a <see cref="WebViewException"/> for anything but loopback without <see cref="CheckSecret"/>.</summary>
    public IPAddress Address()
    {
        if (Port is < 0 or > 65535)
            throw new WebViewException($"the web view's port must be from 0 to 65535, not {Port}");
        if (string.Equals(Host, "localhost", StringComparison.OrdinalIgnoreCase))
            return IPAddress.Loopback;
        if (!IPAddress.TryParse(Host.Trim('[', ']'), out var address))
            throw new WebViewException($"the web view's host must be an IP address or localhost, not '{Host}'");
        if (!IPAddress.IsLoopback(address) && CheckSecret is null)
            throw new WebViewException(
                $"the web view serves on loopback addresses only (127.0.0.1, ::1, localhost) unless the node has a cluster secret, not {Host}: " +
                "on any other address it would let anyone who reaches it read logs and cancel runs (see docs/web.md)");
        return address;
    }
}

/// <summary>The web view cannot start as asked: one line for the user.</summary>
public sealed class WebViewException(string message) : Exception(message);
