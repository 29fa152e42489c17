using Loom.Cluster.Client;
using Loom.Cluster.Hosting;

namespace Loom.Cli.Commands.Ctl;

/// <summary>
/// <c>loom ctl HOST:PORT [COMMAND]</c>: the remote shell of a running cluster. With a command it runs that one and exits;
/// without one it opens a prompt (history, tab completion). Like <c>loom serve</c>, only this entry point reaches
/// Loom.Cluster types, so other commands never load the cluster assemblies.
/// </summary>
public static class CtlCommand
{
    public const string Help = """
        Usage: loom ctl HOST:PORT[,HOST:PORT...] [--cluster-secret-file PATH] [--tls-certificate PFX] [--json] [COMMAND]

        Inspects and steers a running cluster through any of its nodes (a cluster client: this
        machine needs no port the cluster can reach). With a COMMAND, runs it and exits; without
        one, opens a prompt with history (up/down) and tab completion of commands, run ids and job ids.

        Commands:
          cluster show              members: status, labels, capacity, running jobs, version
          cluster leave ADDR        the member leaves the cluster gracefully (ADDR as HOST:PORT)
          cluster down ADDR         the member is marked down (use for a node that is gone)
          cluster tail              membership changes as they happen (Ctrl-C ends)
          jobs [--node ADDR]        jobs running and waiting, and where
          scheduler                 which node holds the run coordinator, its runs and queue
          shards                    runner shards and entities on each node
          shards locate RUN JOB     where a job's runner lives
          actors [--node ADDR] [--depth N]
                                    the actor tree of each node (default depth 3)
          log peek [-n N] [--level L] [--node ADDR]
                                    recent log events of each node (default 20, all levels)
          runs                      the cluster's runs, newest first
          show [RUN]                a run's jobs, results, timings and why skipped
          why JOB [--run RUN]       why a job failed or was skipped
          logs [RUN] [JOB] [--follow]
                                    what a run's steps printed; --follow streams a running one
          cancel RUN                cancel a running run
          retry RUN [--max-parallel N] [--no-cache]
                                    run the failed jobs of a run again, and what depends on them
          validate FILE [--skip-uses]
                                    check a workflow file as the cluster would

        Options:
          --cluster-secret-file PATH  the cluster's shared secret (also LOOM_CLUSTER_SECRET_FILE)
          --tls-certificate PFX       the cluster's TLS certificate, when its nodes use TLS (also LOOM_TLS_CERTIFICATE)
          --tls-certificate-password-file PATH
                                      the certificate's password (also LOOM_TLS_CERTIFICATE_PASSWORD_FILE)
          --json                      print each answer as JSON (one object per line)

        Exit codes: 0 done, 1 the cluster refused or did not answer, 2 usage error.

        """;

    private static readonly string[] SecurityOptions = ["--cluster-secret-file", "--tls-certificate", "--tls-certificate-password-file"];

    /// <summary>
    /// <c>loom logs RUN --cluster HOST:PORT ...</c> (and runs, show, why, cancel, retry) as <c>loom ctl HOST:PORT logs RUN ...</c>:
    /// the cluster's run commands answer the way the local ones do.
    /// </summary>
    public static string[] FromClusterOption(string command, string[] args)
    {
        var contacts = new List<string>();
        var options = new List<string>();
        var rest = new List<string> { command };
        for (var i = 0; i < args.Length; i++)
        {
            var equals = args[i].IndexOf('=');
            var name = equals > 0 ? args[i][..equals] : args[i];
            if (name == "--cluster" || SecurityOptions.Contains(name))
            {
                var value = equals > 0 ? args[i][(equals + 1)..] : i + 1 < args.Length ? args[++i] : throw new UsageException($"{name} needs a value");
                if (name == "--cluster")
                    contacts.Add(value);
                else
                    options.AddRange([name, value]);
            }
            else if (args[i] == "--json")
                options.Add("--json");
            else
                rest.Add(args[i] == "-j" ? "--max-parallel" : args[i]);
        }
        return [string.Join(',', contacts), .. options, .. rest];
    }

    public static async Task<int> ExecuteAsync(string[] args)
    {
        if (args.Length == 0 || args[0].StartsWith('-'))
            throw new UsageException("loom ctl needs a node to talk to: loom ctl HOST:PORT [COMMAND] (see 'loom ctl --help')");
        var contacts = args[0].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (contacts.Length == 0)
            throw new UsageException($"'{args[0]}' is not HOST:PORT of a node");
        if (contacts.FirstOrDefault(c => !NodeOptions.TryParseEndpoint(c, out _)) is { } bad)
            throw new UsageException($"'{bad}' is not HOST:PORT of a node");
        var security = new Dictionary<string, string>(StringComparer.Ordinal);
        var json = false;
        var command = new List<string>();
        for (var i = 1; i < args.Length; i++)
        {
            var equals = args[i].IndexOf('=');
            var name = equals > 0 ? args[i][..equals] : args[i];
            if (command.Count == 0 && SecurityOptions.Contains(name))
                security[name] = equals > 0 ? args[i][(equals + 1)..] : i + 1 < args.Length ? args[++i] : throw new UsageException($"{name} needs a value");
            else if (args[i] == "--json")
                json = true;
            else
                command.Add(args[i]);
        }
        ClusterClientSecurity presented;
        try
        {
            presented = ClusterClientSecurity.Load(security.GetValueOrDefault("--cluster-secret-file"), security.GetValueOrDefault("--tls-certificate"),
                security.GetValueOrDefault("--tls-certificate-password-file"));
        }
        catch (InvalidDataException e)
        {
            throw new UsageException(e.Message);
        }
        await using var client = await AdminClient.ConnectAsync(contacts, presented);
        var session = new CtlSession(client, json);
        if (command.Count > 0)
        {
            using var interrupt = new InterruptScope();
            return await session.ExecuteAsync(command, interrupt.Token);
        }
        return await CtlShell.RunAsync(session, args[0]);
    }
}

/// <summary>Ctrl-C ends what the command follows (a tail, <c>logs --follow</c>) instead of the process.</summary>
internal sealed class InterruptScope : IDisposable
{
    private readonly CancellationTokenSource source = new();

    public InterruptScope() => Console.CancelKeyPress += OnCancel;

    public CancellationToken Token => source.Token;

    private void OnCancel(object? sender, ConsoleCancelEventArgs e)
    {
        e.Cancel = true;
        source.Cancel();
    }

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancel;
        source.Dispose();
    }
}
