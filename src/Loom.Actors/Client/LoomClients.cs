using System.Runtime.CompilerServices;
using Akka.Actor;
using Akka.Hosting;
using Loom.Actors.Persistence;
using Loom.Actors.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Loom.Actors.Client;

/// <summary>
/// The <see cref="ILoomClient"/> of an actor system (an Akka.NET extension): <c>WithLoom</c> offers the local one as Loom's actors
/// start, <c>WithLoomCluster</c> the cluster's, which wins; it is known once the system's start-up tasks have run.
/// </summary>
public sealed class LoomClients : IExtension
{
    private readonly TaskCompletionSource<ILoomClient> ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object gate = new();
    private ILoomClient? local;
    private ILoomClient? cluster;

    public LoomClients(ActorSystem system) =>
        // A system that stops before Loom's actors started must not leave a caller waiting.
        system.WhenTerminated.ContinueWith(_ => ready.TrySetException(new InvalidOperationException($"actor system '{system.Name}' terminated before Loom's actors started")),
            TaskScheduler.Default);

    public static LoomClients Get(ActorSystem system) => system.WithExtension<LoomClients, LoomClientsProvider>();

    /// <summary>The system's client, once Loom's actors have started (with neither <c>WithLoom</c> nor <c>WithLoomCluster</c>, never).</summary>
    public Task<ILoomClient> ClientAsync(CancellationToken cancellationToken = default) => ready.Task.WaitAsync(cancellationToken);

    /// <summary>Offers a client; <paramref name="clustered"/> ones win over local ones. Called as the actors start.</summary>
    public void Offer(ILoomClient client, bool clustered)
    {
        lock (gate)
        {
            if (clustered)
                cluster = client;
            else
                local = client;
        }
    }

    /// <summary>The start-up tasks have run: the client offered is the system's.</summary>
    public void Started()
    {
        lock (gate)
        {
            var client = cluster ?? local;
            if (client is not null)
                ready.TrySetResult(client);
        }
    }

    private sealed class LoomClientsProvider : ExtensionIdProvider<LoomClients>
    {
        public override LoomClients CreateExtension(ExtendedActorSystem system) => new(system);
    }
}

public static class LoomClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="ILoomClient"/> for the host's Akka.Hosting actor system, to which <c>WithLoom</c> (or <c>WithLoomCluster</c>)
    /// adds Loom. Akka.Hosting runs the <c>AddAkka</c> configuration only once the services are built, too late to register
    /// services from it: so this is a call of its own, <c>services.AddAkka("app", akka =&gt; akka.WithLoom()).AddLoomClient()</c>.
    /// Each call of the client waits until Loom's actors have started.
    /// </summary>
    public static IServiceCollection AddLoomClient(this IServiceCollection services)
    {
        services.TryAddSingleton<ILoomClient>(provider =>
            new DeferredLoomClient(provider.GetRequiredService<ActorSystem>(), provider.GetService<IHostApplicationLifetime>()?.ApplicationStarted ?? CancellationToken.None));
        return services;
    }
}

/// <summary>
/// The client a host's services hand out before the actor system has started: each call waits for the system's client.
/// A host that has started without one (no <c>WithLoom</c>) gets an exception, not a wait that never ends.
/// </summary>
internal sealed class DeferredLoomClient(ActorSystem system, CancellationToken hostStarted) : ILoomClient
{
    private const string NoClient = "no Loom client: add Loom to the actor system with AddAkka(..., akka => akka.WithLoom(...)) (or WithLoomCluster)";

    private async Task<ILoomClient> ClientAsync(CancellationToken cancellationToken)
    {
        var client = LoomClients.Get(system).ClientAsync(cancellationToken);
        try
        {
            if (!client.IsCompleted && hostStarted.CanBeCanceled)
            {
                // Akka.Hosting has run every start-up task before the host says it started: a client by then, or none at all.
                await Task.WhenAny(client, Task.Delay(Timeout.Infinite, hostStarted)).ConfigureAwait(false);
                if (!client.IsCompleted)
                    await Task.WhenAny(client, Task.Delay(TimeSpan.FromSeconds(1), cancellationToken)).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                if (!client.IsCompleted)
                    throw new InvalidOperationException(NoClient);
            }
            return await client.ConfigureAwait(false);
        }
        catch (InvalidOperationException e) when (e.Message != NoClient)
        {
            throw new InvalidOperationException($"{e.Message}; {NoClient}", e);
        }
    }

    public async Task<LoomSubmission> SubmitFileAsync(string path, LoomRunRequest? request = null, CancellationToken cancellationToken = default) =>
        await (await ClientAsync(cancellationToken).ConfigureAwait(false)).SubmitFileAsync(path, request, cancellationToken).ConfigureAwait(false);

    public async Task<LoomSubmission> SubmitTextAsync(string yaml, LoomRunRequest? request = null, CancellationToken cancellationToken = default) =>
        await (await ClientAsync(cancellationToken).ConfigureAwait(false)).SubmitTextAsync(yaml, request, cancellationToken).ConfigureAwait(false);

    public async Task<LoomSubmission> ResumeAsync(string runId, LoomRunRequest? request = null, CancellationToken cancellationToken = default) =>
        await (await ClientAsync(cancellationToken).ConfigureAwait(false)).ResumeAsync(runId, request, cancellationToken).ConfigureAwait(false);

    public async IAsyncEnumerable<IRunNotification> ObserveAsync(string runId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var client = await ClientAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var notification in client.ObserveAsync(runId, cancellationToken).ConfigureAwait(false))
            yield return notification;
    }

    public async Task<bool> CancelAsync(string runId, string? reason = null, CancellationToken cancellationToken = default) =>
        await (await ClientAsync(cancellationToken).ConfigureAwait(false)).CancelAsync(runId, reason, cancellationToken).ConfigureAwait(false);

    public async Task<IReadOnlyList<RunSummary>> RunsAsync(CancellationToken cancellationToken = default) =>
        await (await ClientAsync(cancellationToken).ConfigureAwait(false)).RunsAsync(cancellationToken).ConfigureAwait(false);

    public async Task<LoomRunDetails?> GetRunAsync(string runId, CancellationToken cancellationToken = default) =>
        await (await ClientAsync(cancellationToken).ConfigureAwait(false)).GetRunAsync(runId, cancellationToken).ConfigureAwait(false);
}

public static class LoomClientHostingExtensions
{
    /// <summary>Offers <paramref name="client"/> as the system's <see cref="ILoomClient"/> once <paramref name="builder"/>'s actors have started.</summary>
    public static AkkaConfigurationBuilder WithLoomClient(this AkkaConfigurationBuilder builder, Func<ActorSystem, IActorRegistry, ILoomClient> client, bool clustered) =>
        builder
            .WithActors((system, registry) => LoomClients.Get(system).Offer(client(system, registry), clustered))
            .AddStartup((system, _) => LoomClients.Get(system).Started());
}
