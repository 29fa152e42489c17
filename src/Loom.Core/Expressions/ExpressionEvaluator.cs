using System.Text;

namespace Loom.Core.Expressions;

/// <summary>Evaluates a parsed tree with GitHub's semantics. The parser bounds the tree's depth, so recursion is safe.</summary>
internal static class ExpressionEvaluator
{
    public static ExpressionValue Evaluate(ExpressionNode node, EvaluationContext context) => node switch
    {
        LiteralNode literal => literal.Value,
        ContextNode named => context.TryGetContext(named.Name, out var value)
            ? value
            : throw new ExpressionEvaluationException($"unknown context '{named.Name}'", named.Offset),
        PropertyNode property => Member(Evaluate(property.Target, context), property.Name),
        IndexNode index => Index(Evaluate(index.Target, context), Evaluate(index.Index, context)),
        WildcardNode wildcard => Wildcard(Evaluate(wildcard.Target, context)),
        NotNode not => ExpressionValue.FromBoolean(!Evaluate(not.Operand, context).IsTruthy),
        ComparisonNode comparison => Compare(comparison, context),
        LogicalNode logical => Logical(logical, context),
        CallNode call => Call(call, context),
        _ => throw new InvalidOperationException($"unexpected node {node.GetType().Name}"),
    };

    private static ExpressionValue Logical(LogicalNode logical, EvaluationContext context)
    {
        // Returns the operand that decided the result, as in GitHub (and JavaScript): `a || 'default'`.
        var result = ExpressionValue.Null;
        foreach (var operand in logical.Operands)
        {
            result = Evaluate(operand, context);
            if (result.IsTruthy != logical.IsAnd)
                break;
        }
        return result;
    }

    private static ExpressionValue Compare(ComparisonNode comparison, EvaluationContext context)
    {
        var left = Evaluate(comparison.Left, context);
        var right = Evaluate(comparison.Right, context);
        var result = comparison.Operator switch
        {
            ComparisonOperator.Equal => Coercion.LooseEquals(left, right),
            ComparisonOperator.NotEqual => !Coercion.LooseEquals(left, right),
            ComparisonOperator.Less => Coercion.Order(left, right) < 0,
            ComparisonOperator.Greater => Coercion.Order(left, right) > 0,
            ComparisonOperator.LessOrEqual => Coercion.Order(left, right) < 0 || Coercion.LooseEquals(left, right),
            _ => Coercion.Order(left, right) > 0 || Coercion.LooseEquals(left, right),
        };
        return ExpressionValue.FromBoolean(result);
    }

    private static ExpressionValue Member(ExpressionValue target, string name)
    {
        if (!target.IsFilteredArray)
            return target[name];
        // A filter maps over its elements and keeps only those that have the property.
        var matches = new List<ExpressionValue>();
        foreach (var item in target.Items)
        {
            if (item.TryGetProperty(name, out var value))
                matches.Add(value);
        }
        return ExpressionValue.FilteredArray(matches);
    }

    private static ExpressionValue Index(ExpressionValue target, ExpressionValue index)
    {
        if (target.IsFilteredArray)
        {
            var matches = new List<ExpressionValue>();
            foreach (var item in target.Items)
            {
                if (TryIndex(item, index, out var value))
                    matches.Add(value);
            }
            return ExpressionValue.FilteredArray(matches);
        }
        return TryIndex(target, index, out var found) ? found : ExpressionValue.Null;
    }

    /// <summary>Arrays take a non-negative number (floored); objects a primitive's text; anything else has no members.</summary>
    private static bool TryIndex(ExpressionValue target, ExpressionValue index, out ExpressionValue value)
    {
        value = ExpressionValue.Null;
        if (target.Kind == ValueKind.Array)
        {
            var number = index.ToNumber();
            if (!double.IsFinite(number) || number < 0 || number >= target.Items.Count)
                return false;
            value = target.Items[(int)number];
            return true;
        }
        return target.Kind == ValueKind.Object && index.IsPrimitive && target.TryGetProperty(index.ToInterpolationString(), out value);
    }

    private static ExpressionValue Wildcard(ExpressionValue target)
    {
        var items = new List<ExpressionValue>();
        if (target.IsFilteredArray)
        {
            foreach (var item in target.Items)
                AddChildren(item, items);
        }
        else
        {
            AddChildren(target, items);
        }
        return ExpressionValue.FilteredArray(items);
    }

    private static void AddChildren(ExpressionValue value, List<ExpressionValue> into)
    {
        if (value.Kind == ValueKind.Array)
            into.AddRange(value.Items);
        else if (value.Kind == ValueKind.Object)
            into.AddRange(value.Properties.Select(p => p.Value));
    }

    private static ExpressionValue Call(CallNode call, EvaluationContext context)
    {
        var function = ExpressionFunctions.Find(call.Name)
            ?? throw new ExpressionEvaluationException($"unknown function '{call.Name}'", call.Offset);
        if (call.Arguments.Count < function.MinArguments || call.Arguments.Count > function.MaxArguments)
            throw new ExpressionEvaluationException($"'{function.Name}' takes {function.DescribeArity()}, got {call.Arguments.Count}", call.Offset);
        var args = new ExpressionValue[call.Arguments.Count];
        for (var i = 0; i < args.Length; i++)
            args[i] = Evaluate(call.Arguments[i], context);
        var status = context.Status;
        return function.Name switch
        {
            "success" => ExpressionValue.FromBoolean(status.Succeeded && !status.Cancelled),
            "failure" => ExpressionValue.FromBoolean(status.Failed),
            "cancelled" => ExpressionValue.FromBoolean(status.Cancelled),
            "always" => ExpressionValue.True,
            "contains" => ExpressionValue.FromBoolean(ContainsItem(args[0], args[1])),
            "startsWith" => ExpressionValue.FromBoolean(BothStrings(args, out var s, out var p) && s.StartsWith(p, StringComparison.OrdinalIgnoreCase)),
            "endsWith" => ExpressionValue.FromBoolean(BothStrings(args, out var s, out var p) && s.EndsWith(p, StringComparison.OrdinalIgnoreCase)),
            "format" => Format(call, args),
            "join" => Join(call, args),
            "toJSON" => ExpressionJson.TryWrite(args[0], indented: true, out var json)
                ? ExpressionValue.FromString(json)
                : throw new ExpressionEvaluationException($"toJSON: {ExpressionJson.TooLarge}", call.Offset),
            "fromJSON" => FromJson(call, args[0]),
            _ => HashFiles(call, args, context),
        };
    }

    private static bool ContainsItem(ExpressionValue search, ExpressionValue item)
    {
        if (search.Kind == ValueKind.Array)
            return search.Items.Any(element => Coercion.LooseEquals(element, item));
        return search.IsPrimitive && item.IsPrimitive
            && search.ToInterpolationString().Contains(item.ToInterpolationString(), StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>startsWith and endsWith compare primitives' text; with an array or object they are false, as in GitHub.</summary>
    private static bool BothStrings(ExpressionValue[] args, out string subject, out string part)
    {
        subject = args[0].ToInterpolationString();
        part = args[1].ToInterpolationString();
        return args[0].IsPrimitive && args[1].IsPrimitive;
    }

    private static ExpressionValue Format(CallNode call, ExpressionValue[] args)
    {
        var result = FormatString.Apply(args[0].ToInterpolationString(), args.Length - 1, i => args[i + 1].ToInterpolationString(), out var error);
        return result is null ? throw new ExpressionEvaluationException($"format: {error}", call.Offset) : ExpressionValue.FromString(result);
    }

    /// <summary>An array's elements as text between separators; a primitive is its own text; an object gives ''.</summary>
    private static ExpressionValue Join(CallNode call, ExpressionValue[] args)
    {
        if (args[0].IsPrimitive)
            return ExpressionValue.FromString(args[0].ToInterpolationString());
        if (args[0].Kind != ValueKind.Array)
            return ExpressionValue.EmptyString;
        var separator = args.Length > 1 && args[1].IsPrimitive ? args[1].ToInterpolationString() : ",";
        var result = new StringBuilder();
        for (var i = 0; i < args[0].Items.Count; i++)
        {
            if (i > 0)
                result.Append(separator);
            result.Append(args[0].Items[i].ToInterpolationString());
            if (result.Length > ExpressionLimits.MaxResultLength)
                throw new ExpressionEvaluationException($"join: the result is longer than {ExpressionLimits.MaxResultLength} characters", call.Offset);
        }
        return ExpressionValue.FromString(result.ToString());
    }

    private static ExpressionValue FromJson(CallNode call, ExpressionValue text) =>
        ExpressionValue.TryParseJson(text.ToInterpolationString(), out var value, out var error)
            ? value
            : throw new ExpressionEvaluationException($"fromJSON: invalid JSON: {error}", call.Offset);

    private static ExpressionValue HashFiles(CallNode call, ExpressionValue[] args, EvaluationContext context)
    {
        if (context.Workspace is null)
            throw new ExpressionEvaluationException("hashFiles is not available here: there is no workspace", call.Offset);
        try
        {
            return ExpressionValue.FromString(FileHasher.Hash(context.Workspace, args.Select(a => a.ToInterpolationString())));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            throw new ExpressionEvaluationException($"hashFiles: {e.Message}", call.Offset);
        }
    }
}
