using System.Collections.Immutable;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Cluster.Tools.Client;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Loom.Actors;
using Loom.Actors.Protocol;
using Loom.Actors.Serialization;
using Loom.Cluster.Hosting;
using Loom.Cluster.Protocol;
using Loom.Cluster.Runners;
using Loom.Cluster.Serialization;
using Loom.Cluster.Storage;
using Loom.Core.Model;
using Loom.Core.Workspaces;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Loom.Cluster.Client;

/// <summary>
/// <c>loom run --cluster</c>'s side: a small actor system of its own with a ClusterClient to the nodes' receptionists
/// (the submitter needs no port others can reach: its remoting binds 127.0.0.1 on a free port, and the nodes answer over
/// the connection it opened), which uploads the run's files, submits it, and follows it. Every request carries the
/// cluster's secret when the client has one; with a TLS certificate the client speaks TLS, as the nodes must then.
/// </summary>
public sealed class ClusterSubmitter : IAsyncDisposable
{
    public static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(30);
    private readonly ServiceProvider services;
    private readonly IReadOnlyList<IHostedService> hosted;
    private readonly ContactWatch contacts;
    private readonly ClusterClientSecurity security;

    private ClusterSubmitter(ServiceProvider services, IReadOnlyList<IHostedService> hosted, IActorRef client, ContactWatch contacts, ClusterClientSecurity security)
    {
        this.services = services;
        this.hosted = hosted;
        this.contacts = contacts;
        this.security = security;
        Client = client;
        System = services.GetRequiredService<ActorSystem>();
    }

    /// <summary>The secret every request carries; null when the client has none.</summary>
    private string? Secret => security.Secret?.Text;

    public ActorSystem System { get; }

    /// <summary>The ClusterClient: messages to the coordinator go through it as <see cref="ClusterClient.Send"/>.</summary>
    public IActorRef Client { get; }

    /// <param name="contacts">Nodes as <c>HOST:PORT</c>; any one that answers will do.</param>
    /// <param name="security">The secret and TLS certificate to present; null for neither.</param>
    public static async Task<ClusterSubmitter> ConnectAsync(IReadOnlyList<string> contacts, ClusterClientSecurity? security = null, string systemName = "loom")
    {
        security ??= ClusterClientSecurity.None;
        var scheme = security.Tls is null ? ClusterTls.PlainScheme : ClusterTls.Scheme;
        var paths = contacts.Select(c => ActorPath.Parse($"{scheme}://{systemName}@{c}/system/receptionist")).ToList();
        var collection = new ServiceCollection();
        collection.AddSingleton<IHostApplicationLifetime, Lifetime>();
        collection.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        collection.AddAkka("loom-submit", akka => akka
            .AddHocon("""
                # Akka's own logger writes to stdout, which is the command's output (and --json's): the client says what went wrong itself.
                akka.loglevel = OFF
                akka.stdout-loglevel = OFF
                akka.log-dead-letters = off
                akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
                akka.remote.dot-netty.tcp.maximum-frame-size = 1MiB
                """, HoconAddMode.Prepend)
            // Loopback and a free port: nothing listens where another machine could reach it.
            .WithRemoting(ClusterTls.RemoteOptions("127.0.0.1", 0, security.Tls))
            .WithLoomSerialization()
            .WithLoomClusterSerialization());
        var services = collection.BuildServiceProvider();
        var hosted = services.GetServices<IHostedService>().ToArray();
        foreach (var service in hosted)
            await service.StartAsync(CancellationToken.None).ConfigureAwait(false);
        var system = services.GetRequiredService<ActorSystem>();
        var watch = new ContactWatch(contacts, paths.Select(p => p.Address).ToList(), security.Tls is not null);
        system.EventStream.Subscribe(system.ActorOf(ContactWatch.Props(watch), "contact-watch"), typeof(Akka.Remote.RemotingLifecycleEvent));
        _ = system.WhenTerminated.ContinueWith(_ => watch.SystemEnded(CoordinatedShutdown.Get(system).ShutdownReason), TaskScheduler.Default);
        var client = system.ActorOf(ClusterClient.Props(ClusterClientSettings.Create(system).WithInitialContacts(paths.ToImmutableHashSet())), "client");
        return new ClusterSubmitter(services, hosted, client, watch, security);
    }

    /// <summary>Sends what the cluster lacks of <paramref name="manifest"/>'s files (read from <paramref name="root"/>) and the manifest; returns the run's workspace.</summary>
    public async Task<string> UploadAsync(WorkspaceManifest manifest, string root, CancellationToken cancellationToken)
    {
        var manifestBytes = manifest.ToBytes();
        var manifestHash = BlobHash.Of(manifestBytes);
        var wanted = manifest.DistinctHashes().Append(manifestHash).Distinct(StringComparer.Ordinal).ToList();
        var answer = await AskAsync(new ClusterProtocol.FindMissingBlobs(wanted) { Secret = Secret }, cancellationToken).ConfigureAwait(false);
        if (answer is ClusterProtocol.BlobStored { Error: { } refusal })
            throw new InvalidOperationException(refusal);
        var missing = ((ClusterProtocol.BlobsMissing)answer).Hashes.ToHashSet(StringComparer.Ordinal);
        foreach (var file in manifest.Files.Where(f => missing.Remove(f.Hash)))
            await SendBlobAsync(file.Hash, await File.ReadAllBytesAsync(Path.Combine(root, file.Path), cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        if (missing.Remove(manifestHash))
            await SendBlobAsync(manifestHash, manifestBytes, cancellationToken).ConfigureAwait(false);
        return RunWorkspaces.ManifestPrefix + manifestHash;
    }

    private async Task SendBlobAsync(string hash, byte[] content, CancellationToken cancellationToken)
    {
        if (BlobHash.Of(content) != hash)
            throw new IOException($"a file changed while it was being sent (content {hash[..12]}); run again");
        // Every chunk but the last is told; the last is asked, and its answer covers the whole blob (chunks travel in order).
        for (long offset = 0; offset + BlobUpload.ChunkBytes < content.Length; offset += BlobUpload.ChunkBytes)
            Client.Tell(new ClusterClient.Send(LoomClusterHostingExtensions.CoordinatorProxyPath,
                new ClusterProtocol.BlobChunk(hash, offset, content.Length, content[(int)offset..(int)(offset + BlobUpload.ChunkBytes)]) { Secret = Secret }));
        var last = content.Length == 0 ? 0 : (content.Length - 1) / BlobUpload.ChunkBytes * BlobUpload.ChunkBytes;
        var stored = (ClusterProtocol.BlobStored)await AskAsync(new ClusterProtocol.BlobChunk(hash, last, content.Length, content[last..]) { Secret = Secret }, cancellationToken).ConfigureAwait(false);
        if (stored.Error is { } error)
            throw new IOException($"the cluster did not store a file ({hash[..12]}): {error}");
    }

    /// <summary>Asks the coordinator through the ClusterClient.</summary>
    /// <exception cref="ClusterRequestException">No node could be reached, none answered in <see cref="AskTimeout"/>, or the node refused the request.</exception>
    private async Task<object> AskAsync(IClientRequest message, CancellationToken cancellationToken)
    {
        var ask = Client.Ask<object>(new ClusterClient.Send(LoomClusterHostingExtensions.CoordinatorProxyPath, message), AskTimeout, cancellationToken);
        // Gives up as soon as every node has turned the connection down twice (about 5 s), not after the whole timeout.
        if (await Task.WhenAny(ask, contacts.Unreachable).ConfigureAwait(false) != ask)
            throw new ClusterRequestException($"cannot reach the cluster at {contacts.Names}: {await contacts.Unreachable.ConfigureAwait(false)}");
        object answer;
        try
        {
            answer = await ask.ConfigureAwait(false);
        }
        catch (AskTimeoutException)
        {
            throw new ClusterRequestException($"no answer from the cluster at {contacts.Names} within {AskTimeout.TotalSeconds:0} s ({contacts.WhatWasSeen()})");
        }
        return answer is ClusterProtocol.Refused refused ? throw new ClusterRequestException(RefusalMessage(refused)) : answer;
    }

    /// <summary>What the user reads when a node refused a request (a wrong or missing cluster secret).</summary>
    internal string RefusalMessage(ClusterProtocol.Refused refused) =>
        $"the cluster at {contacts.Names} refused the request: {refused.Reason}; "
        + (security.Secret is null
            ? $"give it the cluster's secret with --cluster-secret-file (or {ClusterClientSecurity.SecretFileVariable})"
            : "the secret given is not the cluster's");

    /// <summary>
    /// Submits the run and follows it: its notifications, ending with <see cref="RunEvents.RunFinished"/> or
    /// <see cref="LoomProtocol.RunRejected"/> (also when the node refuses the request).
    /// </summary>
    public ChannelReader<IRunNotification> Follow(ClusterProtocol.SubmitRun submit)
    {
        var channel = Channel.CreateUnbounded<IRunNotification>(new UnboundedChannelOptions { SingleReader = true });
        var client = Client;
        System.ActorOf(RunFollower.Props(message => client.Tell(new ClusterClient.Send(LoomClusterHostingExtensions.CoordinatorProxyPath, message)),
            submit with { Follow = true, Secret = Secret }, notification => channel.Writer.TryWrite(notification), () => channel.Writer.TryComplete(), RefusalMessage));
        return channel.Reader;
    }

    /// <summary>Submits the run without following it: returns once the coordinator has it.</summary>
    /// <exception cref="InvalidOperationException">The coordinator rejected the run (its errors, one a line).</exception>
    /// <exception cref="ClusterRequestException">See <see cref="AskAsync"/>.</exception>
    public async Task SubmitDetachedAsync(ClusterProtocol.SubmitRun submit, CancellationToken cancellationToken)
    {
        var answer = await AskAsync(submit with { Follow = false, Secret = Secret }, cancellationToken).ConfigureAwait(false);
        if (answer is LoomProtocol.RunRejected rejected)
            throw new InvalidOperationException(string.Join(Environment.NewLine, rejected.Errors));
    }

    public void Cancel(string runId, string reason) =>
        Client.Tell(new ClusterClient.Send(LoomClusterHostingExtensions.CoordinatorProxyPath, new ClusterProtocol.CancelRun(runId, reason) { Secret = Secret }));

    public async ValueTask DisposeAsync()
    {
        for (var i = hosted.Count - 1; i >= 0; i--)
            await hosted[i].StopAsync(CancellationToken.None).ConfigureAwait(false);
        await services.DisposeAsync().ConfigureAwait(false);
    }

    private sealed class Lifetime : IHostApplicationLifetime
    {
        public CancellationToken ApplicationStarted => CancellationToken.None;
        public CancellationToken ApplicationStopping => CancellationToken.None;
        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication()
        {
        }
    }
}

/// <summary>A request to the cluster failed: no node could be reached, none answered, or the node refused it. One line for the user.</summary>
public sealed class ClusterRequestException(string message) : Exception(message);

/// <summary>
/// What the submitter's remoting saw of its contacts (Akka's association events), so that it can say why no node answers:
/// <see cref="Unreachable"/> completes once every contact has turned the connection down twice without any having been
/// reached (a retry comes after Akka's 5 s gate, so this takes about 5 s, not the whole <see cref="ClusterSubmitter.AskTimeout"/>),
/// or when the submitter's actor system stopped by itself (Akka.Remote stops it when a TLS handshake it started fails).
/// </summary>
internal sealed class ContactWatch(IReadOnlyList<string> names, IReadOnlyList<Address> contacts, bool tls)
{
    private const int FailuresBeforeGivingUp = 2;
    private readonly object gate = new();
    private readonly Dictionary<Address, (int Failures, string Error)> failures = [];
    private readonly TaskCompletionSource<string> unreachable = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool associated;

    /// <summary>The contacts as given: <c>HOST:PORT, HOST:PORT</c>.</summary>
    public string Names { get; } = string.Join(", ", names);

    /// <summary>Completes with why no node can be reached.</summary>
    public Task<string> Unreachable => unreachable.Task;

    public static Props Props(ContactWatch watch) => ActorProps.Of(() => new Listener(watch));

    public void Associated()
    {
        lock (gate)
            associated = true;
    }

    public void Failed(Address remote, Exception? cause)
    {
        lock (gate)
        {
            if (!contacts.Contains(remote))
                return;
            var (count, _) = failures.GetValueOrDefault(remote);
            failures[remote] = (count + 1, Describe(cause));
            if (!associated && contacts.All(c => failures.GetValueOrDefault(c).Failures >= FailuresBeforeGivingUp))
                unreachable.TrySetResult(string.Join("; ", contacts.Select(c => $"{c.Host}:{c.Port}: {failures[c].Error}")));
        }
    }

    public void SystemEnded(CoordinatedShutdown.Reason? reason)
    {
        // Only a TLS failure ends the system by itself while requests wait; otherwise it is this process stopping it.
        if (reason?.GetType().Name == "TlsHandshakeFailureReason")
            unreachable.TrySetResult("the TLS handshake failed: the node's certificate is not the one given with --tls-certificate");
        else
            unreachable.TrySetResult("the submitter's actor system stopped");
    }

    /// <summary>For a request that got no answer: the last error of each contact, or why there may be none.</summary>
    public string WhatWasSeen()
    {
        lock (gate)
        {
            if (failures.Count > 0)
                return string.Join("; ", failures.Select(f => $"{f.Key.Host}:{f.Key.Port}: {f.Value.Error}"));
            return associated
                ? "a node took the connection but did not answer: is the node's --hostname the address given here?"
                : tls
                    ? "is a 'loom serve' node there, with TLS? (a node without TLS never answers a client that uses it)"
                    : "is a 'loom serve' node there?";
        }
    }

    private string Describe(Exception? cause)
    {
        while (cause?.InnerException is not null)
            cause = cause.InnerException;
        var message = cause?.Message.Trim().TrimEnd('.') ?? "association failed";
        // The node closed the connection during Akka's handshake: its TLS layer turned this client away.
        if (message.Contains("explicitly disassociated", StringComparison.Ordinal))
            return tls
                ? "the node closed the connection: it does not accept this client's certificate (--tls-certificate must be the cluster's)"
                : "the node closed the connection: it uses TLS, so give this client the cluster's certificate with --tls-certificate";
        if (message.Contains("Connection refused", StringComparison.OrdinalIgnoreCase))
            return "connection refused (no node listens there)";
        return message;
    }

    private sealed class Listener : ReceiveActor
    {
        public Listener(ContactWatch watch)
        {
            Receive<Akka.Remote.AssociatedEvent>(_ => watch.Associated());
            Receive<Akka.Remote.AssociationErrorEvent>(error => watch.Failed(error.RemoteAddress, error.Cause));
            ReceiveAny(_ => { });
        }
    }
}
