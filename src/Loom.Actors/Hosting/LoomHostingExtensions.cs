using Akka.Hosting;
using FluentValidation;
using Loom.Actors.Persistence;
using Loom.Actors.Serialization;
using Loom.Core.Parsing;

namespace Loom.Actors.Hosting;

/// <summary>Marker for <see cref="ActorRegistry"/>: Loom's top actor.</summary>
public sealed class LoomGuardianKey;

public static class LoomHostingExtensions
{
    /// <summary>
    /// Adds Loom's actors (guardian, watcher; schedulers and runners per run) to an Akka.Hosting actor system,
    /// with the embedded SQLite journal when <see cref="LoomPersistenceOptions.SqliteFolder"/> is set.
    /// </summary>
    public static AkkaConfigurationBuilder WithLoom(this AkkaConfigurationBuilder builder, Action<LoomOptions>? configure = null)
    {
        var options = new LoomOptions();
        configure?.Invoke(options);
        Validate(options);
        return builder
            .WithLoomSerialization()
            .WithLoomPersistence(options.Persistence)
            .WithActors((system, registry) =>
            {
                if (options.Persistence.WarmUp)
                    SqliteRunStore.WarmUp(system, options.Persistence);
                registry.Register<LoomGuardianKey>(system.ActorOf(LoomGuardian.Props(options), "loom"));
            });
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
