namespace Loom.Core.Expressions;

/// <summary>A problem with an expression, at a 0-based character offset into the text that was parsed.</summary>
public abstract class ExpressionException(string message, int offset) : Exception(message)
{
    /// <summary>0-based offset of the offending character in the parsed text (the template's text for templates).</summary>
    public int Offset { get; } = offset;
}

/// <summary>The expression text is not valid syntax (or exceeds <see cref="ExpressionLimits"/>).</summary>
public sealed class ExpressionSyntaxException(string message, int offset) : ExpressionException(message, offset);

/// <summary>Evaluating a valid expression failed, e.g. <c>fromJSON</c> of invalid JSON; the offset is the failing call's.</summary>
public sealed class ExpressionEvaluationException(string message, int offset) : ExpressionException(message, offset);
