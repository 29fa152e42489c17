using Akka.Hosting;
using FluentValidation;
using Loom.Actors.Client;
using Loom.Actors.Persistence;
using Loom.Actors.Serialization;
using Loom.Core.Parsing;

namespace Loom.Actors.Hosting;

/// <summary>Marker for <see cref="ActorRegistry"/>: Loom's top actor.</summary>
public sealed class LoomGuardianKey;

public static class LoomHostingExtensions
{
    /// <summary>
    /// Adds Loom's actors (guardian, watcher; schedulers and runners per run) to an Akka.Hosting actor system, and the
    /// system's <see cref="ILoomClient"/> (in a host's services with <c>AddLoomClient()</c>). Options left at their defaults
    /// take a host's: runs are journaled in Loom's embedded SQLite store and step logs kept in files, both under
    /// <see cref="LoomOptions.StateFolder"/> (<c>.loom</c> of the current directory unless set), as <c>loom run</c> keeps them.
    /// </summary>
    /// <exception cref="ValidationException">The options are not valid (checked here, before the actor system starts).</exception>
    public static AkkaConfigurationBuilder WithLoom(this AkkaConfigurationBuilder builder, Action<LoomOptions>? configure = null)
    {
        var options = new LoomOptions();
        configure?.Invoke(options);
        if (options.StateFolder is not null || options.Workspace is not null)
            new LoomOptionsValidator().ValidateAndThrow(options);
        ApplyHostDefaults(options);
        Validate(options);
        return builder
            .WithLoomSerialization()
            .WithLoomPersistence(options.Persistence)
            .WithActors((system, registry) =>
            {
                if (options.Persistence.WarmUp)
                    SqliteRunStore.WarmUp(system, options.Persistence);
                registry.Register<LoomGuardianKey>(system.ActorOf(LoomGuardian.Props(options), "loom"));
            })
            .WithLoomClient((system, registry) => new LocalLoomClient(system, registry.Get<LoomGuardianKey>(), options), clustered: false);
    }

    /// <summary>
    /// A host that chose no run store gets the embedded one, and no place for step logs gets files, under the state folder:
    /// the actor system's default journal is in memory, and runs that vanish with the process are no default for a host.
    /// A host that wants the system's default journal names it (<see cref="LoomPersistenceOptions.JournalPluginId"/>).
    /// </summary>
    private static void ApplyHostDefaults(LoomOptions options)
    {
        var stateFolder = Path.GetFullPath(options.StateFolder ?? options.Persistence?.SqliteFolder ?? ".loom");
        if (options.Persistence == new LoomPersistenceOptions())
            options.Persistence = LoomPersistenceOptions.Embedded(stateFolder);
        if (options.StepLogs == new LoomStepLogOptions())
            options.StepLogs = new LoomStepLogOptions { RunsFolder = Path.Combine(stateFolder, "runs") };
        options.Workspace = Path.GetFullPath(options.Workspace ?? ".");
    }

    /// <summary>
    /// Building the validator's rules costs some 20 ms of every <c>loom run</c>'s start-up: the default limits and
    /// the embedded store's default settings (both held to the validator by a test) are not checked again.
    /// </summary>
    private static void Validate(LoomOptions options)
    {
        var persistence = options.Persistence;
        var embeddedDefault = persistence is { SqliteFolder: { } folder } && Path.IsPathRooted(folder) && persistence == LoomPersistenceOptions.Embedded(folder);
        if (options.Limits != ParseLimits.Default || persistence is null)
            new LoomOptionsValidator().ValidateAndThrow(options);
        else if (!embeddedDefault && persistence != new LoomPersistenceOptions())
            new LoomPersistenceOptionsValidator().ValidateAndThrow(persistence);
        // Step logs at the default size limit, in a rooted folder or none, are valid by construction; a host's sink is checked.
        var logs = options.StepLogs;
        if (logs is null)
            new LoomOptionsValidator().ValidateAndThrow(options);
        else if (logs.SinkFactory is not null || logs.MaxFileBytes != LoomStepLogOptions.DefaultMaxFileBytes || logs.RunsFolder is { } runs && !Path.IsPathRooted(runs))
            new LoomStepLogOptionsValidator().ValidateAndThrow(logs);
    }
}
