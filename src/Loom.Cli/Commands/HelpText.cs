namespace Loom.Cli.Commands;

public static class HelpText
{
    /// <summary>The help of one command, or null for a name that is no command.</summary>
    public static string? ForCommand(string command) => command switch
    {
        "run" => Run,
        "validate" => Validate,
        "list" => List,
        "graph" => Graph,
        "why" => Why,
        "runs" => Runs,
        "show" => Show,
        "retry" => Retry,
        "cache" => Cache,
        "logs" => Logs,
        "cancel" => Cancel,
        "prune" => Prune,
        "watch" => WatchCommand.Help,
        "serve" => ServeCommand.Help,
        "ctl" => Ctl.CtlCommand.Help,
        "completion" => CompletionCommand.Help,
        _ => null,
    };

    private const string Limits = """
          --skip-uses              leave out 'uses:' steps with a warning instead of refusing the file
          --max-file-size MIB      largest workflow file (default 64)
          --max-scalar-size KIB    longest single value (default 1024)
          --max-depth N            deepest nesting (default 64)
          --max-nodes N            YAML nodes in the file (default 2500000)
          --max-alias-nodes N      nodes reachable through YAML aliases (default 1000000)
          --max-jobs N             most jobs in a file (default 100000)

        """;

    public const string Main = """
        loom: run a workflow of jobs and steps in parallel, in dependency order.

        Usage: loom <command> [FILE] [options]      FILE defaults to .loom.yml

        Commands:
          run        run the workflow's jobs (all, or --job X and what X needs)
          validate   check the file and print every error as file:line:col
          list       list the jobs, their needs and the order they run in
          graph      print the dependency graph (ascii, mermaid, dot or json)
          why        say why a job of the last run did not run or failed, down to the root cause
          runs       list the runs recorded in this workspace, newest first
          show       show one recorded run: each job's result, duration and reason
          retry      run a finished run again, keeping the jobs that succeeded
          cache      list or clear the content-hash cache of 'cache: true' jobs
          logs       print what a run's steps printed (--follow while it runs)
          cancel     cancel a run going on in another loom process
          prune      delete old runs: their journal events and step logs
          watch      run, then run again what each change of the files concerns
          serve      start a cluster node (labels, capacity, seeds; drains on SIGTERM)
          ctl        inspect and steer a running cluster: members, runs, jobs, logs, shards, actors
          completion print a shell completion script (bash, zsh or fish)

        Options:
          -h, --help     show help (also after a command: loom run --help)
          -V, --version  print the version

        Exit codes: 0 success, 1 a job failed, 2 invalid file or usage, 130 interrupted (SIGINT), 143 terminated (SIGTERM).

        """;

    public const string Run = """
        Usage: loom run [FILE] [options]

        Runs the workflow on this machine: every job whose needs are done starts at once, up to
        --max-parallel at a time. On a terminal a live view shows each job; otherwise one line
        per event. Ctrl-C cancels the run (steps with always() or cancelled() still run) and exits 130;
        a second Ctrl-C stops at once, killing every step.

        Every run is journaled in .loom/ (see 'loom runs'). If loom is killed mid-run, --resume goes on
        with the run as it was started (even if the file changed since): what succeeded is kept, what
        was running is killed if anything is left of it and runs again.

        What the steps print is kept in .loom/runs/RUN/logs (see 'loom logs'; 16 MiB per job attempt,
        LOOM_MAX_LOG_BYTES to change it). A workflow with 'concurrency' waits for the running run of its
        group, in any loom process of this workspace, or cancels it with cancel-in-progress.

        Options:
          --resume [RUN]         go on with the latest interrupted run, or with RUN
          --no-cache             run 'cache: true' jobs whatever the cache holds (their results are still saved)
          -j, --max-parallel N   most jobs at once (default: the file's max-parallel, else the processor count)
          --job ID               run this job and what it needs; repeat for several
          --json                 one JSON object per event and output line (NDJSON)
          --plain                plain lines even on a terminal
          --no-color             no colours (also when NO_COLOR is set)
          --ui                   a live web view of the run (DAG, jobs, logs) on 127.0.0.1, its address printed on
                                 stderr; it stays after the run until Ctrl-C (the exit code is still the run's)
          --ui-port PORT         the web view's port (default: a free one); see docs/web.md
          --var NAME=VALUE       a vars.NAME value; repeat for several
          --vars-file FILE       vars from a dotenv file (NAME=VALUE lines)
          --input NAME=VALUE     an inputs.NAME value; repeat for several
          --secrets-file FILE    secrets from a dotenv file (also LOOM_SECRET_NAME variables); masked in all output
          --event NAME           loom.event_name (default push)
          --event-file FILE      the loom.event payload (JSON)

        On a cluster of 'loom serve' nodes (docs/cluster.md, docs/security.md):
          --cluster HOST:PORT    run there instead (repeat, or separate with commas); the files are sent
          --detach               print the run id once the cluster has the run, and return
          --max-upload-size N    most bytes of workspace files to send (default 256 MiB)
          --cluster-secret-file FILE  the cluster's shared secret (also LOOM_CLUSTER_SECRET_FILE)
          --tls-certificate FILE      the cluster's TLS certificate, .pfx (also LOOM_TLS_CERTIFICATE)
          --tls-certificate-password-file FILE  its password (also LOOM_TLS_CERTIFICATE_PASSWORD_FILE)

        """ + Limits;

    public const string Validate = """
        Usage: loom validate [FILE] [options]

        Checks the workflow and prints every problem as file:line:col: error: message.
        Exits 0 when valid, 2 when not.

        Options:

        """ + Limits;

    public const string List = """
        Usage: loom list [FILE] [options]

        Lists the jobs in the order they can run, with their needs.

        Options:
          --json                 print JSON

        """ + Limits;

    public const string Why = """
        Usage: loom why JOB [--run RUN] [--file FILE]

        Explains how JOB ended in the latest run (or RUN): the chain of needs that failed or were
        skipped, down to the step that failed or the 'if' that was false, with the values it read.

        Options:
          --run RUN              a run id (see 'loom runs') instead of the latest
          --file FILE            the workflow file (default .loom.yml) whose workspace keeps the runs
          --cluster HOST:PORT    a cluster's run instead (as 'loom ctl HOST:PORT ...': the journal and logs in its database)

        """;

    public const string Runs = """
        Usage: loom runs [--file FILE]

        Lists every run recorded in the workspace's journal (.loom/journal.db), newest first:
        its id, workflow, result ('unfinished' when its loom process was killed), start and duration.

        Options:
          --file FILE            the workflow file (default .loom.yml) whose workspace keeps the runs
          --cluster HOST:PORT    a cluster's run instead (as 'loom ctl HOST:PORT ...': the journal and logs in its database)

        """;

    public const string Show = """
        Usage: loom show [RUN] [--file FILE]

        Shows one recorded run (default: the latest): each job with its result, duration and the
        reason it failed or was skipped, read from the workspace's journal.

        Options:
          --file FILE            the workflow file (default .loom.yml) whose workspace keeps the runs
          --cluster HOST:PORT    a cluster's run instead (as 'loom ctl HOST:PORT ...': the journal and logs in its database)

        """;

    public const string Retry = """
        Usage: loom retry RUN [--plain|--json] [-j N] [--secrets-file FILE]

        Starts a new run of RUN's recorded workflow and inputs that keeps every job that succeeded
        (with its outputs, 'carried from run RUN') and runs the failed, cancelled and skipped jobs and
        everything that depends on them. Secrets are read again (LOOM_SECRET_*, --secrets-file).

        Options:
          --cluster HOST:PORT    a cluster's run instead (as 'loom ctl HOST:PORT ...': the journal and logs in its database)

        """;

    public const string Cache = """
        Usage: loom cache ls|clear [--file FILE]

        A 'cache: true' job is skipped when its key is in the cache: its produced files ('produces')
        and outputs are restored and it reports 'cached'. The key covers the job's definition, its
        env, the files its 'inputs' select (hashed after its needs ran) and its needs' keys or results.
        ls lists the entries (job, key, files, size, when, from which run); clear removes them all.

        """;

    public const string Logs = """
        Usage: loom logs [RUN] [JOB] [--follow] [--file FILE]

        Prints what the steps of the latest run (or RUN; 'latest' names the latest) printed, from its step
        logs in .loom/runs/RUN/logs: every job attempt in the order they started, each line prefixed with
        its job ([build], [build #2] for a second attempt), each step's first line preceded by '> step'.
        JOB limits it to one job (a matrix job: all its cells). Secrets are masked as in the run's output;
        past 16 MiB per job attempt (LOOM_MAX_LOG_BYTES when the run was started) lines are counted, not kept.

        Options:
          -f, --follow           keep printing new lines until the run ends
          --file FILE            the workflow file (default .loom.yml) whose workspace keeps the runs
          --cluster HOST:PORT    a cluster's run instead (as 'loom ctl HOST:PORT ...': the journal and logs in its database)

        """;

    public const string Cancel = """
        Usage: loom cancel RUN [--file FILE]

        Cancels a run going on in another loom process of this workspace ('latest' names the latest run):
        sends that process SIGTERM, as Ctrl-C would (always() and cancelled() steps still run), and waits
        until it has stopped. The run is recorded as cancelled. Exits 2 when the run is not going on.

        Options:
          --file FILE            the workflow file (default .loom.yml) whose workspace keeps the runs
          --cluster HOST:PORT    a cluster's run instead (as 'loom ctl HOST:PORT ...': the journal and logs in its database)

        """;

    public const string Prune = """
        Usage: loom prune [--keep N] [--older-than AGE] [--file FILE]

        Deletes finished and interrupted runs: their journal events and snapshots and their folders in
        .loom/runs (step logs). A run going on is never deleted. Prints each run it removes.

        Options:
          --keep N               keep the newest N runs, delete the others
          --older-than AGE       delete runs started more than AGE ago: 90s, 30m, 12h, 7d, 2w
                                 (with --keep too: only runs beyond the newest N and older than AGE)
          --file FILE            the workflow file (default .loom.yml) whose workspace keeps the runs

        """;

    public const string Graph = """
        Usage: loom graph [FILE] [options]

        Prints the dependency graph.

        Options:
          --format F             ascii (default), mermaid, dot or json

        """ + Limits;
}
