using Akka.Event;
using FluentValidation;
using Loom.Actors.Scheduling;
using Loom.Actors.Persistence;
using Loom.Core.Parsing;

namespace Loom.Actors.Hosting;

/// <summary>Settings of Loom's actors in a host; bound from configuration section <c>Loom</c>.</summary>
public sealed class LoomOptions
{
    public const string Section = "Loom";

    /// <summary>Limits applied when workflow files are loaded (spec §7).</summary>
    public ParseLimits Limits { get; set; } = ParseLimits.Default;

    /// <summary>Where runs are journaled.</summary>
    public LoomPersistenceOptions Persistence { get; set; } = new();

    /// <summary>Where each run keeps its steps' output.</summary>
    public LoomStepLogOptions StepLogs { get; set; } = new();

    /// <summary>
    /// How many jobs of a run may run at once when neither the request nor the workflow says: null for this machine's
    /// processor count (a run on one machine); a cluster sets it high, as each node's capacity bounds what runs there.
    /// </summary>
    public int? DefaultMaxParallel { get; set; }

    /// <summary>
    /// For a host (<c>WithLoom</c>): the folder of Loom's state when <see cref="Persistence"/> or <see cref="StepLogs"/> are
    /// left at their defaults: the journal (<c>journal.db</c>, <c>snapshots.db</c>) and the step logs (<c>runs/&lt;run&gt;/logs</c>),
    /// the layout <c>loom run</c> keeps in <c>.loom/</c>. Null: <c>.loom</c> under the current directory when <c>WithLoom</c>
    /// is called (a host's content root unless it moved it). A relative path is taken from the current directory.
    /// </summary>
    public string? StateFolder { get; set; }

    /// <summary>
    /// For a host's <c>ILoomClient</c>: where the steps of a run submitted as text run when the request names no folder
    /// (a run of a file runs in the file's folder). Null: the current directory when <c>WithLoom</c> is called.
    /// </summary>
    public string? Workspace { get; set; }
}

/// <summary>
/// Step logs: every line a job's steps print (secrets masked) in <c>&lt;RunsFolder&gt;/&lt;run-id&gt;/logs/&lt;unit&gt;.&lt;attempt&gt;.log</c>,
/// a file only for a job that printed something (see <c>RunLogWriter</c>). The folder is recorded in the run's
/// <c>RunDefined</c> event. A host that keeps them elsewhere (a cluster node: PostgreSQL) sets <see cref="SinkFactory"/>
/// instead of <see cref="RunsFolder"/>.
/// </summary>
public sealed record LoomStepLogOptions
{
    public const long DefaultMaxFileBytes = 16 * 1024 * 1024;

    /// <summary>A rooted folder (for <c>loom run</c>: <c>&lt;workspace&gt;/.loom/runs</c>); null keeps no step logs (unless <see cref="SinkFactory"/> is set). Not with <see cref="SinkFactory"/>.</summary>
    public string? RunsFolder { get; set; }

    /// <summary>The most output kept per log file (per unit attempt); what follows is counted, not kept, and a last line says so.</summary>
    public long MaxFileBytes { get; set; } = DefaultMaxFileBytes;

    /// <summary>
    /// Where each run's step output goes instead of files: called once by each run's scheduler as it is created, on
    /// its thread, with the run's id and the scheduler's log (for the sink's own warnings); the sink is then called on
    /// that thread only (see <c>IStepLogSink</c>) and must apply <see cref="MaxFileBytes"/> per unit attempt itself.
    /// Null (the default) writes files under <see cref="RunsFolder"/>. Not with <see cref="RunsFolder"/>.
    /// </summary>
    public Func<string, ILoggingAdapter, IStepLogSink>? SinkFactory { get; set; }

    /// <summary>The logs folder of run <paramref name="runId"/>; null when no step logs are kept.</summary>
    public string? FolderOf(string runId) => RunsFolder is null ? null : Path.Combine(RunsFolder, runId, "logs");
}

/// <summary>
/// Where each run's events are journaled (one persistence id per run, <c>run-&lt;id&gt;</c>).
/// With <see cref="SqliteFolder"/> set, <c>WithLoom</c> adds Loom's embedded store: SQLite through
/// Loom's own SQLite journal plugin (<c>SqliteRunStore</c>), <c>journal.db</c> and <c>snapshots.db</c> in that folder.
/// With <see cref="PostgresConnectionString"/> set, it adds Akka.Persistence.Sql on that PostgreSQL database
/// (<c>PostgresRunStore</c>). With neither Loom uses the host's plugins: <see cref="JournalPluginId"/>/<see cref="SnapshotPluginId"/>,
/// or the actor system's defaults.
/// </summary>
public sealed record LoomPersistenceOptions
{
    /// <summary>The plugin identifier of the embedded SQLite store (<c>akka.persistence.journal.loom-sqlite</c>, ...).</summary>
    public const string SqlitePluginIdentifier = "loom-sqlite";

    /// <summary>The plugin identifier of the PostgreSQL store (<c>akka.persistence.journal.loom-postgres</c>, ...).</summary>
    public const string PostgresPluginIdentifier = "loom-postgres";

    /// <summary>The tag of the first and the last event of every run, which <c>loom runs</c> reads.</summary>
    public const string RunTag = "loom-run";

    /// <summary>The embedded store in <paramref name="folder"/> with every other setting at its default: valid by construction.</summary>
    public static LoomPersistenceOptions Embedded(string folder) => new() { SqliteFolder = Path.GetFullPath(folder) };

    /// <summary>A rooted folder (for <c>loom run</c>: <c>&lt;workspace&gt;/.loom</c>), created on first write; null for the host's plugins.</summary>
    public string? SqliteFolder { get; set; }

    /// <summary>An Npgsql connection string: runs are journaled in that database (tables created on first use); null for none. Not with <see cref="SqliteFolder"/>.</summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>How long a write waits for another process's lock on the SQLite files before it fails.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// With <see cref="SqliteFolder"/>: a journal write that comes this soon after the last transaction waits until then, so
    /// a stream of events shares one transaction (group commit; 0 writes each at once). A <c>loom</c> killed meanwhile loses
    /// that window's events; a local run's process ledger still names the steps it started (see docs/architecture.md).
    /// </summary>
    public TimeSpan GroupCommit { get; set; } = SqlitePluginSettings.DefaultGroupCommit;

    /// <summary>A journal plugin of the host (full HOCON path); null for the actor system's default. Not with <see cref="SqliteFolder"/>.</summary>
    public string? JournalPluginId { get; set; }

    /// <summary>A snapshot store plugin of the host (full HOCON path); null for the actor system's default. Not with <see cref="SqliteFolder"/>.</summary>
    public string? SnapshotPluginId { get; set; }

    /// <summary>A run's scheduler saves a snapshot of its state every this many events (0: never), so a long run recovers fast.</summary>
    public int SnapshotEvery { get; set; } = 1000;

    /// <summary>Start the journal and snapshot store as the actor system starts, on another thread, so the first run does not wait for them.</summary>
    public bool WarmUp { get; set; } = true;

    /// <summary>
    /// With the host's plugins: the read journal (Akka.Persistence.Query) of <see cref="JournalPluginId"/> (full HOCON path), for
    /// the run history (<c>ILoomClient.RunsAsync</c>); null for none. Not with <see cref="SqliteFolder"/> or <see cref="PostgresConnectionString"/>.
    /// </summary>
    public string? QueryPluginId { get; set; }

    /// <summary>The read journal the run history is read from: the own store's, else <see cref="QueryPluginId"/>.</summary>
    public string? EffectiveQueryPluginId => OwnQueryPluginId ?? QueryPluginId;

    /// <summary>The identifier of the store Loom brings itself; null when it uses the host's plugins.</summary>
    public string? OwnPluginIdentifier =>
        SqliteFolder is not null ? SqlitePluginIdentifier : PostgresConnectionString is not null ? PostgresPluginIdentifier : null;

    /// <summary>The journal plugin a run's scheduler uses: null means the system's default.</summary>
    public string? EffectiveJournalPluginId => OwnPluginIdentifier is { } id ? "akka.persistence.journal." + id : JournalPluginId;

    public string? EffectiveSnapshotPluginId => OwnPluginIdentifier is { } id ? "akka.persistence.snapshot-store." + id : SnapshotPluginId;

    /// <summary>The read journal (Akka.Persistence.Query) of the store Loom brings; null with the host's plugins.</summary>
    public string? OwnQueryPluginId => OwnPluginIdentifier is { } id ? QueryPluginIdOf(id) : null;

    /// <summary>The read journal of the embedded store (Akka.Persistence.Query).</summary>
    public static string SqliteQueryPluginId => QueryPluginIdOf(SqlitePluginIdentifier);

    /// <summary>The read journal of the PostgreSQL store (Akka.Persistence.Query).</summary>
    public static string PostgresQueryPluginId => QueryPluginIdOf(PostgresPluginIdentifier);

    private static string QueryPluginIdOf(string id) => "akka.persistence.query.journal." + id;

    public const string JournalFile = "journal.db";
    public const string SnapshotFile = "snapshots.db";
}

public sealed class LoomOptionsValidator : AbstractValidator<LoomOptions>
{
    public LoomOptionsValidator()
    {
        RuleFor(o => o.Limits.MaxFileBytes).GreaterThan(0);
        RuleFor(o => o.Limits.MaxScalarBytes).GreaterThan(0);
        RuleFor(o => o.Limits.MaxDepth).InclusiveBetween(2, 10_000);
        RuleFor(o => o.Limits.MaxAliasNodes).GreaterThan(0);
        RuleFor(o => o.Limits.MaxJobs).GreaterThan(0);
        RuleFor(o => o.Limits.MaxNodes).GreaterThan(0);
        RuleFor(o => o.DefaultMaxParallel).GreaterThan(0).When(o => o.DefaultMaxParallel is not null);
        RuleFor(o => o.Persistence).NotNull().SetValidator(new LoomPersistenceOptionsValidator());
        RuleFor(o => o.StepLogs).NotNull().SetValidator(new LoomStepLogOptionsValidator());
        RuleFor(o => o.StateFolder).NotEmpty().When(o => o.StateFolder is not null);
        RuleFor(o => o.Workspace).NotEmpty().When(o => o.Workspace is not null);
    }
}

public sealed class LoomStepLogOptionsValidator : AbstractValidator<LoomStepLogOptions>
{
    public LoomStepLogOptionsValidator()
    {
        RuleFor(o => o.MaxFileBytes).InclusiveBetween(1024, 1L << 40);
        RuleFor(o => o.RunsFolder)
            .Must(Path.IsPathRooted).When(o => o.RunsFolder is not null)
            .WithMessage("'Runs Folder' must be a rooted path.");
        RuleFor(o => o.RunsFolder).Null().When(o => o.SinkFactory is not null)
            .WithMessage("'Runs Folder' and 'Sink Factory' each choose where step logs go: set one of them.");
    }
}

public sealed class LoomPersistenceOptionsValidator : AbstractValidator<LoomPersistenceOptions>
{
    public LoomPersistenceOptionsValidator()
    {
        RuleFor(o => o.BusyTimeout).InclusiveBetween(TimeSpan.Zero, TimeSpan.FromHours(1));
        RuleFor(o => o.GroupCommit).InclusiveBetween(TimeSpan.Zero, SqlitePluginSettings.MaxGroupCommit);
        RuleFor(o => o.SnapshotEvery).GreaterThanOrEqualTo(0);
        RuleFor(o => o.SqliteFolder)
            .Must(Path.IsPathRooted).When(o => o.SqliteFolder is not null)
            .WithMessage("'Sqlite Folder' must be a rooted path.");
        RuleFor(o => o.PostgresConnectionString).Null().When(o => o.SqliteFolder is not null)
            .WithMessage("'Postgres Connection String' and 'Sqlite Folder' each choose the run store: set one of them.");
        RuleFor(o => o.PostgresConnectionString).NotEmpty().Must(PostgresRunStore.IsValidConnectionString)
            .When(o => o.PostgresConnectionString is not null)
            .WithMessage("'Postgres Connection String' must be an Npgsql connection string naming a host.");
        RuleFor(o => o.JournalPluginId).Null().When(o => o.OwnPluginIdentifier is not null)
            .WithMessage("'Journal Plugin Id' names a host's journal: leave it empty with 'Sqlite Folder' or 'Postgres Connection String', which bring their own.");
        RuleFor(o => o.SnapshotPluginId).Null().When(o => o.OwnPluginIdentifier is not null)
            .WithMessage("'Snapshot Plugin Id' names a host's snapshot store: leave it empty with 'Sqlite Folder' or 'Postgres Connection String', which bring their own.");
        RuleFor(o => o.JournalPluginId).NotEmpty().When(o => o.JournalPluginId is not null);
        RuleFor(o => o.SnapshotPluginId).NotEmpty().When(o => o.SnapshotPluginId is not null);
        RuleFor(o => o.QueryPluginId).Null().When(o => o.OwnPluginIdentifier is not null)
            .WithMessage("'Query Plugin Id' names a host's read journal: leave it empty with 'Sqlite Folder' or 'Postgres Connection String', which bring their own.");
        RuleFor(o => o.QueryPluginId).NotEmpty().When(o => o.QueryPluginId is not null);
    }
}
