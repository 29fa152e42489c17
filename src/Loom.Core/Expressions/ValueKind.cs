namespace Loom.Core.Expressions;

/// <summary>The six kinds of value an expression can produce, as in GitHub Actions.</summary>
public enum ValueKind
{
    Null,
    Boolean,
    Number,
    String,
    Array,
    Object,
}
