using System.Text.Json;
using Akka.Hosting;
using Loom.Cluster.Node;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Loom.Cluster.Hosting;

/// <summary>
/// A node's readiness and liveness for probes (Kubernetes, compose, a load balancer): <c>GET /health/ready</c> and
/// <c>GET /health/alive</c>, 200 or 503 with a short JSON reason, plain HTTP on a listener of their own
/// (<c>--health-port</c>), apart from the web view: they answer without sign-in (they tell nothing but the node's status)
/// and also with <c>--ui-port off</c>. The checks are Akka.Hosting health checks (<c>WithHealthCheck</c>) run by
/// Microsoft.Extensions.Diagnostics.HealthChecks: every check tagged <see cref="NodeHealthCheck.ReadinessTag"/> or
/// <see cref="NodeHealthCheck.LivenessTag"/> counts, Loom's (<see cref="NodeHealth"/>) and any a host adds.
/// </summary>
public static class NodeHealthEndpoint
{
    public const string ReadyPath = "/health/ready";
    public const string AlivePath = "/health/alive";

    /// <summary>Loom's two checks, on every node (with or without a health port, for a host that serves them itself).</summary>
    public static AkkaConfigurationBuilder WithNodeHealthChecks(this AkkaConfigurationBuilder akka) => akka
        .WithHealthCheck("loom-node-alive", new NodeHealthCheck(ready: false), HealthStatus.Unhealthy, [NodeHealthCheck.LivenessTag])
        .WithHealthCheck("loom-node-ready", new NodeHealthCheck(ready: true), HealthStatus.Unhealthy, [NodeHealthCheck.ReadinessTag]);

    /// <summary>Serves the endpoints on <see cref="NodeOptions.HealthPort"/> from when every other service of the node has started
    /// until every other one has stopped, so they answer through the whole drain and leave.</summary>
    public static void Add(IServiceCollection services, NodeOptions options) =>
        services.AddHostedService(provider => new Service(provider, options));

    private sealed class Service(IServiceProvider node, NodeOptions options) : IHostedLifecycleService
    {
        private WebApplication? app;

        public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        // Started after the actor system and its actors: a check never runs against a system still being built (Akka.Hosting's
        // check adapter would create it).
        public async Task StartedAsync(CancellationToken cancellationToken)
        {
            var port = options.HealthPort!.Value;
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
            {
                Args = [],
                ApplicationName = typeof(NodeHealthEndpoint).Assembly.GetName().Name,
                ContentRootPath = AppContext.BaseDirectory,
            });
            builder.Logging.ClearProviders();
            // SIGTERM is the node's to handle: this listener must outlive the drain, not stop at the signal.
            builder.Services.AddSingleton<IHostLifetime, NoLifetime>();
            builder.Services.AddSingleton(node.GetRequiredService<HealthCheckService>());
            builder.WebHost.UseKestrel(kestrel =>
            {
                kestrel.AddServerHeader = false;
                if (NodeOptionsValidator.ListenAddress(options.HealthHost) is { } address)
                    kestrel.Listen(address, port);
                else
                    kestrel.ListenAnyIP(port);
            });
            var web = builder.Build();
            web.MapHealthChecks(ReadyPath, Endpoint(NodeHealthCheck.ReadinessTag));
            web.MapHealthChecks(AlivePath, Endpoint(NodeHealthCheck.LivenessTag));
            try
            {
                await web.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                await web.DisposeAsync().ConfigureAwait(false);
                throw new InvalidOperationException($"--health-port {port}: cannot listen on {options.HealthHost ?? "every address"}: {e.Message}");
            }
            app = web;
            var bound = web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            Console.Error.WriteLine($"loom serve: health at {bound}{ReadyPath} and {AlivePath}");
        }

        public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        // After the actor system's service stopped (drained, left, terminated): probes get answers until then.
        public async Task StoppedAsync(CancellationToken cancellationToken)
        {
            if (app is null)
                return;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await app.StopAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
            await app.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static HealthCheckOptions Endpoint(string tag) => new()
    {
        Predicate = registration => registration.Tags.Contains(tag),
        ResponseWriter = WriteAsync,
    };

    /// <summary><c>{"status":"Unhealthy","checks":[{"name":"loom-node-ready","status":"Unhealthy","description":"the node is draining: ..."}]}</c></summary>
    private static async Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteString("status", report.Status.ToString());
        json.WriteStartArray("checks");
        foreach (var (name, entry) in report.Entries)
        {
            json.WriteStartObject();
            json.WriteString("name", name);
            json.WriteString("status", entry.Status.ToString());
            json.WriteString("description", entry.Description ?? entry.Exception?.Message);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted).ConfigureAwait(false);
        await context.Response.WriteAsync("\n", context.RequestAborted).ConfigureAwait(false);
    }

    private sealed class NoLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
