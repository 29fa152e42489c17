using Akka.Configuration;

namespace Loom.Actors.Hosting;

/// <summary>The HOCON files of <c>hocon/</c> that ship inside this assembly.</summary>
public static class LoomHocon
{
    /// <summary>Settings for the embedded single-node actor system of <c>loom run</c>.</summary>
    public static Config Embedded => Load("Loom.Actors.embedded.hocon");

    private static Config Load(string resource)
    {
        using var stream = typeof(LoomHocon).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"resource {resource} is missing from Loom.Actors");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }
}
