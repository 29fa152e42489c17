// A worker service that embeds Loom: the host's own actor system gets Loom's actors (WithLoom), the host's code gets
// ILoomClient (AddLoomClient), runs a workflow at start and prints the run's events as they happen.
//
//   dotnet run --project docs/examples/embedding/worker -- --workflow path/to/.loom.yml
//
// Loom keeps its journal and step logs in .loom/ under the host's content root (the current directory).
using Akka.Hosting;
using Loom.Actors.Client;
using Loom.Actors.Hosting;
using Loom.Actors.Protocol;
using Loom.Core.Model;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using static Loom.Actors.Protocol.RunEvents;

var builder = Host.CreateApplicationBuilder(args);
builder.Services
    .AddAkka("worker", akka => akka.WithLoom(options =>
    {
        options.StateFolder = Path.Combine(builder.Environment.ContentRootPath, ".loom");
        options.Workspace = builder.Environment.ContentRootPath;
    }))
    .AddLoomClient();
builder.Services.AddHostedService<RunAtStart>();
await builder.Build().RunAsync();
return Environment.ExitCode;

/// <summary>Runs the workflow once the host has started, prints what happens, then stops the host with the run's result as exit code.</summary>
internal sealed class RunAtStart(ILoomClient loom, IConfiguration configuration, IHostApplicationLifetime lifetime) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var workflow = configuration["workflow"] ?? Path.Combine(AppContext.BaseDirectory, "build.loom.yml");
        var submission = await loom.SubmitFileAsync(workflow, new LoomRunRequest(), stoppingToken);
        if (!submission.Accepted)
        {
            // An invalid workflow is data: file:line:col messages, no stack trace.
            foreach (var error in submission.Errors)
                Console.Error.WriteLine($"worker: refused: {error}");
            Environment.ExitCode = 2;
            lifetime.StopApplication();
            return;
        }
        Console.WriteLine($"worker: submitted run {submission.RunId}");
        await foreach (var notification in loom.ObserveAsync(submission.RunId, stoppingToken))
        {
            switch (notification)
            {
                case JobStarted started:
                    Console.WriteLine($"worker saw: job {started.JobId} started");
                    break;
                case OutputLine line:
                    Console.WriteLine($"worker saw: [{line.JobId}] {line.Line}");
                    break;
                case JobFinished finished:
                    Console.WriteLine($"worker saw: job {finished.JobId} {finished.Result.ToWire()}");
                    break;
                case RunFinished finished:
                    Console.WriteLine($"worker saw: run {submission.RunId} {finished.Result.ToWire()}");
                    Environment.ExitCode = finished.Result == Result.Success ? 0 : 1;
                    break;
            }
        }
        var details = await loom.GetRunAsync(submission.RunId, stoppingToken);
        Console.WriteLine($"worker: {details?.Jobs.Count} jobs, step logs in {details?.LogsFolder}");
        lifetime.StopApplication();
    }
}
