using System.Threading.Channels;
using Akka.Actor;
using Akka.Hosting;
using Loom.Actors;
using Loom.Actors.Hosting;
using Loom.Actors.Persistence;
using Loom.Actors.Serialization;
using Loom.Actors.Protocol;
using Loom.Core.Parsing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Serilog;
using LogLevel = Akka.Event.LogLevel;

namespace Loom.Cli;

/// <summary>
/// Loom's actors on a single-node actor system inside the <c>loom</c> process: no server to start.
/// Structured logs go to <c>.loom/logs/loom.log</c> of the workspace, not to the terminal.
/// </summary>
/// <remarks>
/// Akka.Hosting's <see cref="AkkaConfigurationBuilder"/> (with <c>WithLoom</c>) sets the system up, as in any
/// host, but without the generic host around it: a command that lives for one run needs none of its
/// configuration, logging or lifetime machinery, which cost some 30 ms of every start. The services are
/// built and Akka.Hosting's hosted service is started here. Stopping terminates the actor system directly, which
/// stops the runners (killing their step processes): CoordinatedShutdown's phases hold nothing of Loom's in this
/// system, and running them cost some 8 ms of every command (hocon/embedded.hocon turns them off).
/// </remarks>
public sealed class EmbeddedLoom : IAsyncDisposable
{
    private readonly ServiceProvider services;
    private readonly Lifetime lifetime;
    private readonly Task firstLogLine;

    private EmbeddedLoom(ServiceProvider services, Lifetime lifetime, Task firstLogLine, bool withGuardian)
    {
        this.firstLogLine = firstLogLine;
        this.services = services;
        this.lifetime = lifetime;
        System = services.GetRequiredService<ActorSystem>();
        guardian = withGuardian ? services.GetRequiredService<IRequiredActor<LoomGuardianKey>>().ActorRef : null;
    }

    private readonly IActorRef? guardian;

    public ActorSystem System { get; }

    public IActorRef Guardian => guardian ?? throw new InvalidOperationException("this actor system only reads the run history");

    /// <summary>The run journal of the workspace: <c>.loom/journal.db</c> (and <c>.loom/snapshots.db</c>).</summary>
    public static LoomPersistenceOptions Persistence(string workspace) => LoomPersistenceOptions.Embedded(JournalFolder(workspace));

    public static string JournalFolder(string workspace) => Path.Combine(workspace, ".loom");

    /// <summary>One folder per run: its lock, owner and step logs (<c>.loom/runs/&lt;id&gt;/logs</c>).</summary>
    public static string RunsFolder(string workspace) => Path.Combine(JournalFolder(workspace), "runs");

    /// <summary>The run history, read through Akka.Persistence.Query from the workspace's journal.</summary>
    public RunJournal History() => new(System, LoomPersistenceOptions.SqliteQueryPluginId);

    /// <summary>An actor system with only the workspace's journal: for commands that read the run history.</summary>
    public static Task<EmbeddedLoom> StartHistoryAsync(string workspace) =>
        StartAsync(workspace, akka => akka.WithLoomSerialization().WithLoomPersistence(Persistence(workspace)), run: false);

    /// <param name="maxLogBytes">The most output kept per step log file.</param>
    public static Task<EmbeddedLoom> StartAsync(string workspace, ParseLimits limits, long maxLogBytes = LoomStepLogOptions.DefaultMaxFileBytes) =>
        StartAsync(workspace, akka => akka.WithLoom(options =>
        {
            options.Limits = limits;
            options.Persistence = Persistence(workspace);
            options.StepLogs = new LoomStepLogOptions { RunsFolder = RunsFolder(workspace), MaxFileBytes = maxLogBytes };
        }), run: true);

    private static async Task<EmbeddedLoom> StartAsync(string workspace, Action<AkkaConfigurationBuilder> configure, bool run)
    {
        // On a spare core while the services are built and the system starts: the file logger (some
        // 20 ms to set up; the actor system's Serilog logger reads Log.Logger, so it is in place before
        // the system starts) and its first line, then a rehearsal of a run (StartupWarmUp: the parser, the state, one step started).
        if (run)
            SqliteRunStore.Preopen(Persistence(workspace));
        var logger = new TaskCompletionSource<Serilog.Core.Logger>(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstLogLine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = Task.Run(async () =>
        {
            try
            {
                var created = CreateLogger(workspace);
                logger.SetResult(created);
                // The file sink opens its file at the first event (finding the latest file, the local time zone): here, not
                // in the run's last moments, when the first event used to come and the actor system's stop waited for it.
                created.Information("loom {Version:l} (pid {Pid}) in {Workspace:l}", Program.Version, Environment.ProcessId, workspace);
            }
            catch (Exception e)
            {
                logger.TrySetException(e);
                return;
            }
            finally
            {
                firstLogLine.SetResult();
            }
            // Native code has nothing to load or compile ahead (with and without it: the same times, docs/benchmarks.md).
            if (run && !NativeLauncher.IsNative)
                await StartupWarmUp.RunAsync().ConfigureAwait(false);
        });

        var lifetime = new Lifetime();
        var collection = new ServiceCollection();
        collection.AddSingleton<IHostApplicationLifetime>(lifetime);
        collection.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        collection.AddAkka("loom", akka =>
        {
            akka.AddHocon(LoomHocon.Embedded, HoconAddMode.Prepend)
            .ConfigureLoggers(loggers =>
            {
                loggers.LogLevel = LogLevel.InfoLevel;
                loggers.ClearLoggers();
                loggers.AddLogger<Akka.Logger.Serilog.SerilogLogger>();
            });
            configure(akka);
        });
        var services = collection.BuildServiceProvider();
        try
        {
            // Resolving Akka.Hosting's hosted service runs the builder (WithLoom); starting it starts the system.
            var hosted = services.GetServices<IHostedService>().ToArray();
            Log.Logger = await logger.Task.ConfigureAwait(false);
            foreach (var service in hosted)
                await service.StartAsync(CancellationToken.None).ConfigureAwait(false);
            return new EmbeddedLoom(services, lifetime, firstLogLine.Task, withGuardian: run);
        }
        catch
        {
            await services.DisposeAsync().ConfigureAwait(false);
            await firstLogLine.Task.ConfigureAwait(false);
            await Log.CloseAndFlushAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// An actor that hands the run's notifications to the caller through a channel, a batch at a
    /// time: one hand-off (a thread wake-up and a write to stdout) per 10 ms or so instead of one per
    /// event, several per job. A run's last notification goes out at once with those before it.
    /// The channel also ends if the actor system terminates by itself, so the caller never waits forever.
    /// </summary>
    /// <param name="isLast">What ends the channel: by default a run's <c>RunFinished</c> or <c>RunRejected</c>.</param>
    public (IActorRef Subscriber, ChannelReader<IReadOnlyList<IRunNotification>> Notifications) Subscribe(Func<IRunNotification, bool>? isLast = null)
    {
        var channel = Channel.CreateUnbounded<IReadOnlyList<IRunNotification>>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        lifetime.ApplicationStopping.Register(() => channel.Writer.TryComplete());
        isLast ??= static n => n is RunEvents.RunFinished or LoomProtocol.RunRejected;
        var subscriber = System.ActorOf(ActorProps.Of(() => new ChannelSubscriber(channel.Writer, isLast)));
        return (subscriber, channel.Reader);
    }

    public async ValueTask DisposeAsync()
    {
        await System.Terminate().ConfigureAwait(false);
        await services.DisposeAsync().ConfigureAwait(false);
        await firstLogLine.ConfigureAwait(false);
        await Log.CloseAndFlushAsync().ConfigureAwait(false);
    }

    private static Serilog.Core.Logger CreateLogger(string workspace)
    {
        var logDirectory = Path.Combine(workspace, ".loom", "logs");
        Directory.CreateDirectory(logDirectory);
        return new LoggerConfiguration()
            .MinimumLevel.Information()
            .WriteTo.File(Path.Combine(logDirectory, "loom.log"), fileSizeLimitBytes: 16 * 1024 * 1024, rollOnFileSizeLimit: true, retainedFileCountLimit: 4)
            .CreateLogger();
    }

    /// <summary>
    /// What Akka.Hosting's hosted service needs of a host: it calls <see cref="StopApplication"/> once
    /// the actor system has terminated, whether stopped here or by itself.
    /// </summary>
    private sealed class Lifetime : IHostApplicationLifetime
    {
        private readonly CancellationTokenSource stopping = new();

        public CancellationToken ApplicationStarted => CancellationToken.None;
        public CancellationToken ApplicationStopping => stopping.Token;
        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication() => stopping.Cancel();
    }

    private sealed class ChannelSubscriber(ChannelWriter<IReadOnlyList<IRunNotification>> writer, Func<IRunNotification, bool> isLast) : UntypedActor, IWithTimers
    {
        private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(10);
        private List<IRunNotification> batch = [];

        public ITimerScheduler Timers { get; set; } = null!;

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case IRunNotification last when isLast(last):
                    batch.Add(last);
                    Send();
                    writer.TryComplete();
                    break;
                case RunEvents.RunFinished or LoomProtocol.RunRejected:
                    // The end of one run of several (watch cycles): at once, like a last one.
                    batch.Add((IRunNotification)message);
                    Send();
                    break;
                case IRunNotification notification:
                    batch.Add(notification);
                    // The first of a batch waits for those that follow it; the timer sends them all.
                    if (batch.Count == 1)
                        Timers.StartSingleTimer(Flush.Instance, Flush.Instance, Window);
                    break;
                case Flush:
                    Send();
                    break;
                default:
                    Unhandled(message);
                    break;
            }
        }

        private void Send()
        {
            Timers.Cancel(Flush.Instance);
            if (batch.Count == 0)
                return;
            writer.TryWrite(batch);
            batch = [];
        }

        private sealed class Flush
        {
            public static readonly Flush Instance = new();
        }
    }
}
