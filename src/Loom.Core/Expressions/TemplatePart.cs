namespace Loom.Core.Expressions;

/// <summary>A piece of a template, spanning <c>[Offset, Offset + Length)</c> of the template's text.</summary>
public abstract record TemplatePart(int Offset, int Length);

/// <summary>Text outside any <c>${{ }}</c>, copied as is.</summary>
public sealed record LiteralPart(int Offset, int Length, string Text) : TemplatePart(Offset, Length);

/// <summary>A <c>${{ expr }}</c>; the span covers the braces, the expression's own offsets its text inside them.</summary>
public sealed record ExpressionPart(int Offset, int Length, Expression Expression) : TemplatePart(Offset, Length);
