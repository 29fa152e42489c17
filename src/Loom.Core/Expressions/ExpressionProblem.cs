namespace Loom.Core.Expressions;

/// <summary>A validation problem at a 0-based offset in the text the expression was parsed from.</summary>
public sealed record ExpressionProblem(int Offset, string Message);
