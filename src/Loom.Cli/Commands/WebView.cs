using System.Globalization;
using Loom.Actors.Protocol;
using Loom.Core.Parsing;

namespace Loom.Cli.Commands;

/// <summary>The web view of <c>loom run --ui</c> and <c>loom watch --ui</c>, as those commands see it.</summary>
internal interface IWebView : IAsyncDisposable
{
    Uri Url { get; }

    /// <summary>A notification of the run going on now (watch cycles: each starts with its <c>CycleStarting</c>).</summary>
    void Publish(IRunNotification notification);

    /// <summary>A notification of run <paramref name="runId"/>.</summary>
    void Publish(string runId, IRunNotification notification);
}

/// <summary>
/// Starts the web view. Nothing outside <see cref="LocalWebView"/> names a type of Loom.Web or ASP.NET Core, and only
/// <see cref="StartAsync"/> reaches it: a command without <c>--ui</c> never loads those assemblies (start-up time).
/// </summary>
internal static class WebView
{
    public const string Flag = "--ui";
    public const string PortOption = "--ui-port";
    public const string HostOption = "--ui-host";

    public static readonly string[] ValueOptions = [PortOption, HostOption];

    public const string HelpLines = """
          --ui                   serve a live web view of the runs (DAG, jobs, logs) on 127.0.0.1; its address is
                                 printed on stderr at start
          --ui-port PORT         the web view's port (default: a free one)
        """;

    /// <summary>Whether the command line asks for the view; <c>--ui-port</c> or <c>--ui-host</c> without <c>--ui</c> is a usage error.</summary>
    public static bool Wanted(CommandLine line)
    {
        if (line.Has(Flag))
            return true;
        if (ValueOptions.FirstOrDefault(o => line.Value(o) is not null) is { } option)
            throw new UsageException($"{option} needs --ui");
        return false;
    }

    /// <summary>Starts the view of a workspace's runs; a <see cref="UsageException"/> when it cannot listen as asked.</summary>
    /// <param name="line">The command line: its port and host, and what a retry started from the page runs with (--secrets-file, -j).</param>
    public static async Task<IWebView> StartAsync(EmbeddedLoom loom, string workspace, CommandLine line, ParseLimits limits, string title)
    {
        var port = 0;
        if (line.Value(PortOption) is { } text && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port > 65535))
            throw new UsageException($"{PortOption} needs a port number from 0 to 65535, not '{text}'");
        return await LocalWebView.StartAsync(loom, workspace, line, limits, title, line.Value(HostOption), port);
    }
}
