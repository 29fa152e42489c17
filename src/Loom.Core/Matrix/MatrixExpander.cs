using Loom.Core.Expressions;

namespace Loom.Core.Matrix;

/// <summary>
/// GitHub's matrix rules (spec §2): the cartesian product of the dimensions in key order, minus the
/// <c>exclude</c> entries (a partial entry removes every combination it matches), then each
/// <c>include</c> entry is added to every combination whose original values it does not contradict,
/// or becomes a combination of its own when it fits none.
/// </summary>
public static class MatrixExpander
{
    /// <summary>The cells, each an object of matrix names to values; throws <see cref="ExpressionEvaluationException"/> for a malformed matrix.</summary>
    public static IReadOnlyList<ExpressionValue> Expand(ExpressionValue matrix, int maxCells)
    {
        if (matrix.Kind != ValueKind.Object)
            throw Error($"a matrix must be an object of names to lists of values, not {Describe(matrix)}");
        var dimensions = new List<KeyValuePair<string, ExpressionValue>>();
        var include = ExpressionValue.Null;
        var exclude = ExpressionValue.Null;
        foreach (var (name, values) in matrix.Properties)
        {
            if (name.Equals("include", StringComparison.OrdinalIgnoreCase))
                include = values;
            else if (name.Equals("exclude", StringComparison.OrdinalIgnoreCase))
                exclude = values;
            else if (values.Kind != ValueKind.Array)
                throw Error($"matrix entry '{name}' must be a list of values, not {Describe(values)}");
            else if (values.Items.Count == 0)
                throw Error($"matrix entry '{name}' has no values");
            else
                dimensions.Add(new(name, values));
        }

        var combinations = Product(dimensions, maxCells);
        foreach (var entry in Entries(exclude, "exclude"))
            combinations.RemoveAll(c => Matches(c, entry.Properties));
        var originals = combinations.Count;
        foreach (var entry in Entries(include, "include"))
        {
            var added = false;
            for (var i = 0; i < originals; i++)
            {
                if (!FitsOriginal(combinations[i], entry, dimensions))
                    continue;
                foreach (var (name, value) in entry.Properties)
                    combinations[i][name] = value;
                added = true;
            }
            if (!added)
                combinations.Add(new Dictionary<string, ExpressionValue>(entry.Properties, StringComparer.OrdinalIgnoreCase));
            if (combinations.Count > maxCells)
                throw Error($"the matrix has more than {maxCells} combinations, all the job limit leaves (--max-jobs)");
        }
        if (combinations.Count == 0)
            throw Error("the matrix has no combinations");
        return combinations.Select(c => ExpressionValue.FromObject(c)).ToArray();
    }

    /// <summary>The display id of a cell, as GitHub shows it: <c>build (linux, 8)</c>.</summary>
    public static string CellId(string jobId, ExpressionValue cell) =>
        $"{jobId} ({string.Join(", ", cell.Properties.Select(p => p.Value.IsPrimitive ? p.Value.ToInterpolationString() : Compact(p.Value)))})";

    private static string Compact(ExpressionValue value) => value.ToJson().ReplaceLineEndings("").Replace("  ", "");

    private static List<Dictionary<string, ExpressionValue>> Product(List<KeyValuePair<string, ExpressionValue>> dimensions, int maxCells)
    {
        var result = new List<Dictionary<string, ExpressionValue>>();
        if (dimensions.Count == 0)
            return result;
        long total = 1;
        foreach (var (_, values) in dimensions)
        {
            total *= values.Items.Count;
            if (total > maxCells)
                throw Error($"the matrix has more than {maxCells} combinations, all the job limit leaves (--max-jobs)");
        }
        result.Add(new Dictionary<string, ExpressionValue>(StringComparer.OrdinalIgnoreCase));
        foreach (var (name, values) in dimensions)
        {
            var next = new List<Dictionary<string, ExpressionValue>>(result.Count * values.Items.Count);
            foreach (var partial in result)
                foreach (var value in values.Items)
                    next.Add(new Dictionary<string, ExpressionValue>(partial, StringComparer.OrdinalIgnoreCase) { [name] = value });
            result = next;
        }
        return result;
    }

    private static IEnumerable<ExpressionValue> Entries(ExpressionValue list, string key)
    {
        if (list.Kind == ValueKind.Null)
            return [];
        if (list.Kind != ValueKind.Array)
            throw Error($"matrix '{key}' must be a list of objects, not {Describe(list)}");
        foreach (var entry in list.Items)
        {
            if (entry.Kind != ValueKind.Object)
                throw Error($"each matrix '{key}' entry must be an object, not {Describe(entry)}");
        }
        return list.Items;
    }

    private static bool Matches(Dictionary<string, ExpressionValue> combination, IReadOnlyList<KeyValuePair<string, ExpressionValue>> entry)
    {
        foreach (var (name, value) in entry)
        {
            if (!combination.TryGetValue(name, out var actual) || !SameValue(actual, value))
                return false;
        }
        return true;
    }

    /// <summary>An include entry may add to a combination when it agrees with every original dimension it names.</summary>
    private static bool FitsOriginal(Dictionary<string, ExpressionValue> combination, ExpressionValue entry, List<KeyValuePair<string, ExpressionValue>> dimensions)
    {
        foreach (var (name, value) in entry.Properties)
        {
            if (dimensions.Exists(d => d.Key.Equals(name, StringComparison.OrdinalIgnoreCase)) && !SameValue(combination[name], value))
                return false;
        }
        return true;
    }

    /// <summary>Deep equality; strings compare case-insensitively as GitHub's matrix filters do.</summary>
    private static bool SameValue(ExpressionValue a, ExpressionValue b)
    {
        if (a.Kind != b.Kind)
            return false;
        return a.Kind switch
        {
            ValueKind.Null => true,
            ValueKind.String => string.Equals(a.AsString(), b.AsString(), StringComparison.OrdinalIgnoreCase),
            ValueKind.Boolean => a.AsBoolean() == b.AsBoolean(),
            ValueKind.Number => a.ToNumber().Equals(b.ToNumber()),
            ValueKind.Array => a.Items.Count == b.Items.Count && a.Items.Zip(b.Items).All(p => SameValue(p.First, p.Second)),
            _ => a.Properties.Count == b.Properties.Count
                && a.Properties.All(p => b.TryGetProperty(p.Key, out var other) && SameValue(p.Value, other)),
        };
    }

    private static string Describe(ExpressionValue value) => value.Kind.ToString().ToLowerInvariant();

    private static ExpressionEvaluationException Error(string message) => new(message, 0);
}
