using System.Net;

namespace Loom.Web;

/// <summary>Where the web view listens: a loopback address only, until non-loopback binds check the cluster secret.</summary>
public sealed record WebViewOptions
{
    public const string DefaultHost = "127.0.0.1";

    /// <summary><c>127.0.0.1</c>, <c>::1</c>, <c>localhost</c> or another loopback address.</summary>
    public string Host { get; init; } = DefaultHost;

    /// <summary>0 picks a free port.</summary>
    public int Port { get; init; }

    /// <summary>What the pages call this view (<c>loom run</c> in a workspace, a node's address).</summary>
    public string Title { get; init; } = "loom";

    /// <summary>The address to listen on; a <see cref="WebViewException"/> for anything but loopback.</summary>
    public IPAddress Address()
    {
        if (Port is < 0 or > 65535)
            throw new WebViewException($"the web view's port must be from 0 to 65535, not {Port}");
        if (string.Equals(Host, "localhost", StringComparison.OrdinalIgnoreCase))
            return IPAddress.Loopback;
        if (!IPAddress.TryParse(Host.Trim('[', ']'), out var address))
            throw new WebViewException($"the web view's host must be a loopback address (127.0.0.1, ::1, localhost), not '{Host}'");
        if (!IPAddress.IsLoopback(address))
            throw new WebViewException(
                $"the web view serves on loopback addresses only (127.0.0.1, ::1, localhost), not {Host}: on any other address it would let " +
                "anyone who reaches it cancel and retry runs, and it does not check the cluster secret yet (see docs/web.md)");
        return address;
    }
}

/// <summary>The web view cannot start as asked: one line for the user.</summary>
public sealed class WebViewException(string message) : Exception(message);
