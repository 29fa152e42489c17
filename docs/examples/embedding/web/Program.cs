// An ASP.NET Core app that embeds Loom in its own actor system.
//
//   dotnet run --project docs/examples/embedding/web -- --urls http://127.0.0.1:5080
//   curl -X POST --data-binary @.loom.yml http://127.0.0.1:5080/runs          # the workflow as the body
//   curl -X POST 'http://127.0.0.1:5080/runs?file=docs/examples/pipeline/.loom.yml&job=package'
//   curl http://127.0.0.1:5080/runs/RUN                                       # its state, jobs and results
//   curl -N http://127.0.0.1:5080/runs/RUN/events                             # Server-Sent Events, loom run --json lines
//   curl -X POST http://127.0.0.1:5080/runs/RUN/cancel
//   curl http://127.0.0.1:5080/runs                                           # the history, newest first
//
// A sample: whoever reaches it runs any shell command on this machine (a workflow's steps are shell commands) and any
// workflow file the process can read. Keep it on loopback, or put authentication in front of it.
using System.Text.Json.Serialization;
using Akka.Hosting;
using Loom.Actors.Client;
using Loom.Actors.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.Services
    .AddAkka("web", akka => akka.WithLoom(options =>
    {
        options.StateFolder = Path.Combine(builder.Environment.ContentRootPath, ".loom");
        options.Workspace = builder.Environment.ContentRootPath;
    }))
    .AddLoomClient();
builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
var app = builder.Build();

// The body is the workflow's YAML; or ?file=PATH runs a file. ?job=ID (repeatable) and ?input=NAME=VALUE as loom run's --job and --input.
app.MapPost("/runs", async (HttpRequest http, ILoomClient loom, CancellationToken cancel) =>
{
    var request = new LoomRunRequest
    {
        Jobs = http.Query["job"].Where(j => !string.IsNullOrEmpty(j)).Select(j => j!).ToList(),
        Inputs = http.Query["input"].Select(i => i!.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]),
    };
    LoomSubmission submission;
    if (http.Query["file"] is [{ } file])
        submission = await loom.SubmitFileAsync(file, request, cancel);
    else
    {
        using var reader = new StreamReader(http.Body);
        submission = await loom.SubmitTextAsync(await reader.ReadToEndAsync(cancel), request, cancel);
    }
    return submission.Accepted
        ? Results.Created($"/runs/{submission.RunId}", new { submission.RunId, submission.Warnings })
        : Results.UnprocessableEntity(new { submission.RunId, submission.Errors });
});

app.MapGet("/runs", async (ILoomClient loom, CancellationToken cancel) => Results.Ok(await loom.RunsAsync(cancel)));

app.MapGet("/runs/{id}", async (string id, ILoomClient loom, CancellationToken cancel) =>
    await loom.GetRunAsync(id, cancel) is { } run ? Results.Ok(run) : Results.NotFound());

app.MapPost("/runs/{id}/cancel", async (string id, ILoomClient loom, CancellationToken cancel) =>
    await loom.CancelAsync(id, "cancelled over HTTP", cancel) ? Results.Accepted($"/runs/{id}") : Results.NotFound());

// Server-Sent Events: one 'data:' line per notification, as 'loom run --json' prints it; the stream ends with the run.
app.MapGet("/runs/{id}/events", async (string id, HttpContext http, ILoomClient loom) =>
{
    if (await loom.GetRunAsync(id, http.RequestAborted) is null)
    {
        http.Response.StatusCode = StatusCodes.Status404NotFound;
        return;
    }
    http.Response.ContentType = "text/event-stream";
    http.Response.Headers.CacheControl = "no-cache";
    await foreach (var notification in loom.ObserveAsync(id, http.RequestAborted))
    {
        if (RunNotificationJson.ToJson(notification) is not { } json)
            continue;
        await http.Response.WriteAsync($"data: {json}\n\n", http.RequestAborted);
        await http.Response.Body.FlushAsync(http.RequestAborted);
    }
});

app.Run();
