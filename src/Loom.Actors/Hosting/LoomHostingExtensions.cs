using Akka.Hosting;
using FluentValidation;
using Loom.Actors.Serialization;
using Loom.Core.Parsing;

namespace Loom.Actors.Hosting;

/// <summary>Marker for <see cref="ActorRegistry"/>: Loom's top actor.</summary>
public sealed class LoomGuardianKey;

public static class LoomHostingExtensions
{
    /// <summary>Adds Loom's actors (guardian, watcher; schedulers and runners per run) to an Akka.Hosting actor system.</summary>
    public static AkkaConfigurationBuilder WithLoom(this AkkaConfigurationBuilder builder, Action<LoomOptions>? configure = null)
    {
        var options = new LoomOptions();
        configure?.Invoke(options);
        // The default limits are valid (a test holds them to the validator), and building the
        // validator's rules costs some 20 ms of every `loom run`'s start-up: only other settings are checked.
        if (options.Limits != ParseLimits.Default)
            new LoomOptionsValidator().ValidateAndThrow(options);
        return builder
            .WithLoomSerialization()
            .WithActors((system, registry) =>
                registry.Register<LoomGuardianKey>(system.ActorOf(LoomGuardian.Props(options), "loom")));
    }
}
