using System.Collections;
using System.Text.Json;
using Loom.Actors.Protocol;
using Loom.Core.Runtime;

namespace Loom.Cli.Commands;

/// <summary>
/// The run's contexts from the command line (spec §4, §6): <c>--var</c>/<c>--vars-file</c>,
/// <c>--input</c>, <c>--event</c>/<c>--event-file</c>, <c>--secrets-file</c> and <c>LOOM_SECRET_*</c>,
/// and the <c>loom</c> values that come from the machine and the checkout.
/// </summary>
public static class RunInputs
{
    public static readonly string[] ValueOptions = ["--var", "--vars-file", "--input", "--event", "--event-file", "--secrets-file"];

    /// <exception cref="UsageException">A malformed option or an unreadable or invalid file (its errors printed first).</exception>
    public static RunContexts From(CommandLine line, string runId, string workspace)
    {
        var vars = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (line.Value("--vars-file") is { } varsFile)
            Overlay(vars, ReadDotenv(varsFile, "--vars-file"));
        Overlay(vars, Pairs(line.All("--var"), "--var"));
        var inputs = new Dictionary<string, string>(Pairs(line.All("--input"), "--input"), StringComparer.OrdinalIgnoreCase);
        var secrets = Secrets(line);

        var loom = RunContexts.LoomOf(runId, workspace, line.Value("--event") ?? "push");
        return new RunContexts(loom, EventJson(line.Value("--event-file")), vars, inputs, secrets);
    }

    /// <summary><c>LOOM_SECRET_*</c> of the environment, then <c>--secrets-file</c>: never journaled, so read again on resume.</summary>
    public static Dictionary<string, string> Secrets(CommandLine line)
    {
        var secrets = new Dictionary<string, string>(SecretEnvironment.Collect(EnvironmentPairs()), StringComparer.OrdinalIgnoreCase);
        if (line.Value("--secrets-file") is { } secretsFile)
            Overlay(secrets, ReadDotenv(secretsFile, "--secrets-file"));
        return secrets;
    }

    private static string EventJson(string? path)
    {
        if (path is null)
            return "{}";
        try
        {
            var text = File.ReadAllText(path);
            using var _ = JsonDocument.Parse(text);
            return text;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--event-file {path}: {e.Message}");
        }
        catch (JsonException e)
        {
            throw new UsageException($"--event-file {path}: not JSON ({e.Message})");
        }
    }

    private static IReadOnlyDictionary<string, string> ReadDotenv(string path, string option)
    {
        var result = DotenvReader.ReadFile(path);
        if (result.Errors.Count == 0)
            return result.Values;
        foreach (var error in result.Errors)
            Console.Error.WriteLine(error);
        throw new UsageException($"{option} {path} is not valid");
    }

    private static Dictionary<string, string> Pairs(IReadOnlyList<string> values, string option)
    {
        var pairs = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var value in values)
        {
            var equals = value.IndexOf('=');
            if (equals <= 0)
                throw new UsageException($"{option} needs NAME=VALUE, not '{value}'");
            pairs[value[..equals]] = value[(equals + 1)..];
        }
        return pairs;
    }

    private static void Overlay(Dictionary<string, string> target, IReadOnlyDictionary<string, string> layer)
    {
        foreach (var (name, value) in layer)
            target[name] = value;
    }

    private static IEnumerable<KeyValuePair<string, string?>> EnvironmentPairs()
    {
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
            yield return new((string)entry.Key, (string?)entry.Value);
    }
}
