namespace Loom.Core.Expressions;

/// <summary>
/// The values an expression read, for saying why an <c>if</c> was false: each context reference it
/// holds (<c>github.ref</c>, <c>needs.build.outputs.version</c>) with the value it had, e.g.
/// <c>github.ref = 'refs/heads/dev'</c>. Evaluation failures show as the error instead of a value.
/// </summary>
public static class ExpressionExplainer
{
    private const int MaxValueLength = 80;

    public static IReadOnlyList<string> Values(Expression expression, EvaluationContext context)
    {
        var references = new List<ExpressionNode>();
        var targets = new HashSet<ExpressionNode>(ReferenceEqualityComparer.Instance);
        foreach (var node in expression.Root.DescendantsAndSelf())
        {
            switch (node)
            {
                case PropertyNode p:
                    targets.Add(p.Target);
                    break;
                case IndexNode i:
                    targets.Add(i.Target);
                    break;
                case WildcardNode w:
                    targets.Add(w.Target);
                    break;
            }
        }
        foreach (var node in expression.Root.DescendantsAndSelf())
        {
            // The outermost member chain only: `github.ref`, not also `github`.
            if (node is ContextNode or PropertyNode or IndexNode or WildcardNode && !targets.Contains(node) && ReadsContext(node))
                references.Add(node);
        }
        references.Sort((a, b) => a.Offset.CompareTo(b.Offset));
        var lines = new List<string>(references.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in references)
        {
            var text = expression.Source.Substring(node.Offset, node.Length).Trim();
            if (!seen.Add(text))
                continue;
            string value;
            try
            {
                // A secret's value never goes into a reason that is shown and kept.
                value = ReadsSecrets(node) ? "***" : Shorten(ExpressionEvaluator.Evaluate(node, context).ToString());
            }
            catch (ExpressionException e)
            {
                value = $"error: {e.Message}";
            }
            lines.Add($"{text} = {value}");
        }
        return lines;
    }

    private static bool ReadsContext(ExpressionNode node) => node.DescendantsAndSelf().Any(n => n is ContextNode);

    private static bool ReadsSecrets(ExpressionNode node) =>
        node.DescendantsAndSelf().Any(n => n is ContextNode c && c.Name.Equals("secrets", StringComparison.OrdinalIgnoreCase));

    private static string Shorten(string value) =>
        value.Length <= MaxValueLength ? value : value[..(MaxValueLength - 3)] + "...";
}
