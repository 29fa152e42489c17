namespace Loom.Core.Expressions;

internal enum TokenKind
{
    End,
    LeftParen,
    RightParen,
    LeftBracket,
    RightBracket,
    Comma,
    Dot,
    Star,
    Bang,
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    And,
    Or,
    Number,
    String,
    True,
    False,
    Null,
    Identifier,
}

/// <summary>One lexeme at <see cref="Offset"/> (0-based, in the text given to the lexer); literals carry their value.</summary>
internal sealed record Token(TokenKind Kind, int Offset, int Length, string Text, ExpressionValue? Value = null)
{
    public int End => Offset + Length;

    /// <summary>How an error message names the token.</summary>
    public string Describe() => Kind switch
    {
        TokenKind.End => "end of expression",
        _ when Text.Length > 24 => $"'{Text[..20]}...'",
        _ => $"'{Text}'",
    };
}
