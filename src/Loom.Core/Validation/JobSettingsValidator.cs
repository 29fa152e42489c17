using Loom.Core.Parsing;

namespace Loom.Core.Validation;

/// <summary>Spec §1–§2: the shapes of <c>strategy</c>, <c>retry</c>, <c>concurrency</c>, <c>outputs</c>, <c>cache</c>, <c>inputs</c> and <c>produces</c>.</summary>
internal static class JobSettingsValidator
{
    public const int MaxAttempts = 100;

    public static void Validate(RawJob job, DiagnosticBag errors)
    {
        Retry(job.Retry, errors);
        ValueRules.Boolean(job.Cache, "cache", errors);
        Concurrency(job.Concurrency, errors);
        Strategy(job.Strategy, errors);
        foreach (var (name, _) in job.Outputs)
        {
            if (!ScalarValues.IsId(name.Value))
                errors.Add(name.Location, $"output name {MessageText.Quote(name.Value)} {ValueRules.IdRule}");
        }
        foreach (var glob in job.Inputs.Concat(job.Produces))
        {
            if (glob.Value.Trim().Length == 0)
                errors.Add(glob.Location, "a glob must not be empty");
        }
    }

    public static void Concurrency(YamlNode? node, DiagnosticBag errors)
    {
        switch (node)
        {
            case null or ScalarNode:
                return;
            case MappingNode map:
                var group = map["group"];
                if (group is null)
                    errors.Add(map.Location, "'concurrency' needs a 'group'");
                else if (group is not ScalarNode { IsNull: false })
                    errors.Add(group.Location, "'concurrency.group' must be a string");
                ValueRules.Boolean(map["cancel-in-progress"], "cancel-in-progress", errors);
                UnknownKeys(map, ["group", "cancel-in-progress"], "'concurrency'", errors);
                return;
            default:
                errors.Add(node.Location, "'concurrency' must be a group name or a mapping with 'group' and 'cancel-in-progress'");
                return;
        }
    }

    private static void Retry(YamlNode? node, DiagnosticBag errors)
    {
        if (node is null)
            return;
        if (node is not MappingNode map)
        {
            errors.Add(node.Location, "'retry' must be a mapping with 'max-attempts' and 'backoff-seconds'");
            return;
        }
        var attempts = map["max-attempts"];
        if (attempts is null)
            errors.Add(map.Location, "'retry' needs 'max-attempts'");
        else if (attempts is not ScalarNode scalar || !ScalarValues.TryPositiveInteger(scalar, out var count) || count > MaxAttempts)
            errors.Add(attempts.Location, $"'max-attempts' must be an integer from 1 to {MaxAttempts}");
        if (map["backoff-seconds"] is { } backoff
            && (backoff is not ScalarNode b || !ScalarValues.TryNonNegativeNumber(b, out _)))
            errors.Add(backoff.Location, "'backoff-seconds' must be a number of seconds, 0 or more");
        UnknownKeys(map, ["max-attempts", "backoff-seconds"], "'retry'", errors);
    }

    private static void Strategy(YamlNode? node, DiagnosticBag errors)
    {
        if (node is null or ScalarNode { IsNull: true })
            return;
        if (node is not MappingNode map)
        {
            errors.Add(node.Location, "'strategy' must be a mapping with 'matrix'");
            return;
        }
        ValueRules.Boolean(map["fail-fast"], "fail-fast", errors);
        ValueRules.PositiveInteger(map["max-parallel"], "max-parallel", errors);
        UnknownKeys(map, ["matrix", "fail-fast", "max-parallel"], "'strategy'", errors);
        switch (map["matrix"])
        {
            case null:
                errors.Add(map.Location, "'strategy' needs a 'matrix'");
                break;
            case ScalarNode { HasExpression: true }:
                break;
            case MappingNode matrix:
                Matrix(matrix, errors);
                break;
            case var other:
                errors.Add(other.Location, "'matrix' must be a mapping of names to lists of values, or ${{ }}");
                break;
        }
    }

    private static void Matrix(MappingNode matrix, DiagnosticBag errors)
    {
        if (matrix.Entries.Length == 0)
            errors.Add(matrix.Location, "'matrix' must have at least one entry");
        foreach (var (key, value) in matrix.Entries)
        {
            if (value is ScalarNode { HasExpression: true })
                continue;
            if (key.Value is "include" or "exclude")
            {
                if (value is not SequenceNode list)
                {
                    errors.Add(value.Location, $"'{key.Value}' must be a list of mappings, or ${{{{ }}}}");
                    continue;
                }
                foreach (var item in list.Items)
                {
                    if (item is not (MappingNode or ScalarNode { HasExpression: true }))
                        errors.Add(item.Location, $"each '{key.Value}' entry must be a mapping of matrix names to values");
                }
            }
            else if (value is not SequenceNode values)
                errors.Add(value.Location, $"matrix entry {MessageText.Quote(key.Value)} must be a list of values, or ${{{{ }}}}");
            else if (values.Items.Length == 0)
                errors.Add(value.Location, $"matrix entry {MessageText.Quote(key.Value)} has no values");
        }
    }


    private static void UnknownKeys(MappingNode map, string[] known, string where, DiagnosticBag errors)
    {
        foreach (var (key, _) in map.Entries)
        {
            if (Array.IndexOf(known, key.Value) < 0)
                errors.Add(key.Location, $"unknown key {MessageText.Quote(key.Value)} in {where}{MessageText.DidYouMean(new Suggester().Closest(key.Value, known, ignoreCase: true))}");
        }
    }
}
