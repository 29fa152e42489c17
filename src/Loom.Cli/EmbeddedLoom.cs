using System.Threading.Channels;
using Akka.Actor;
using Akka.Hosting;
using Loom.Actors.Hosting;
using Loom.Actors.Protocol;
using Loom.Core.Parsing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serilog;
using LogLevel = Akka.Event.LogLevel;

namespace Loom.Cli;

/// <summary>
/// Loom's actors on a single-node actor system inside the <c>loom</c> process: no server to start.
/// Structured logs go to <c>.loom/logs/loom.log</c> of the workspace, not to the terminal.
/// </summary>
public sealed class EmbeddedLoom : IAsyncDisposable
{
    private readonly IHost host;

    private EmbeddedLoom(IHost host)
    {
        this.host = host;
        System = host.Services.GetRequiredService<ActorSystem>();
        Guardian = host.Services.GetRequiredService<IRequiredActor<LoomGuardianKey>>().ActorRef;
    }

    public ActorSystem System { get; }
    public IActorRef Guardian { get; }

    public static async Task<EmbeddedLoom> StartAsync(string workspace, ParseLimits limits)
    {
        var logDirectory = Path.Combine(workspace, ".loom", "logs");
        Directory.CreateDirectory(logDirectory);
        Log.Logger = new LoggerConfiguration()
            .MinimumLevel.Information()
            .WriteTo.File(Path.Combine(logDirectory, "loom.log"), fileSizeLimitBytes: 16 * 1024 * 1024, rollOnFileSizeLimit: true, retainedFileCountLimit: 4)
            .CreateLogger();

        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddAkka("loom", akka => akka
            .AddHocon(LoomHocon.Embedded, HoconAddMode.Prepend)
            .ConfigureLoggers(loggers =>
            {
                loggers.LogLevel = LogLevel.InfoLevel;
                loggers.ClearLoggers();
                loggers.AddLogger<Akka.Logger.Serilog.SerilogLogger>();
            })
            .WithLoom(options => options.Limits = limits));
        var host = builder.Build();
        await host.StartAsync();
        return new EmbeddedLoom(host);
    }

    /// <summary>An actor that hands the run's notifications to the caller through a channel.</summary>
    public (IActorRef Subscriber, ChannelReader<IRunNotification> Notifications) Subscribe()
    {
        var channel = Channel.CreateUnbounded<IRunNotification>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var subscriber = System.ActorOf(Props.Create(() => new ChannelSubscriber(channel.Writer)));
        return (subscriber, channel.Reader);
    }

    public async ValueTask DisposeAsync()
    {
        await host.StopAsync();
        host.Dispose();
        await Log.CloseAndFlushAsync();
    }

    private sealed class ChannelSubscriber : ReceiveActor
    {
        public ChannelSubscriber(ChannelWriter<IRunNotification> writer)
        {
            Receive<IRunNotification>(n =>
            {
                writer.TryWrite(n);
                if (n is RunEvents.RunFinished or LoomProtocol.RunRejected)
                    writer.TryComplete();
            });
        }
    }
}
