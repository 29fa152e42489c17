using System.Text;

namespace Loom.Core.Expressions;

/// <summary>Splits <c>source[start..end)</c> into tokens whose offsets are positions in <c>source</c>.</summary>
internal sealed class ExpressionLexer(string source, int start, int end)
{
    private readonly List<Token> tokens = [];
    private int pos = start;

    public List<Token> Tokenize()
    {
        while (true)
        {
            while (pos < end && char.IsWhiteSpace(source[pos]))
                pos++;
            if (pos == end)
                break;
            tokens.Add(Next());
        }
        tokens.Add(new Token(TokenKind.End, end, 0, ""));
        return tokens;
    }

    private Token Next()
    {
        var c = source[pos];
        switch (c)
        {
            case '(': return Punctuation(TokenKind.LeftParen, 1);
            case ')': return Punctuation(TokenKind.RightParen, 1);
            case '[': return Punctuation(TokenKind.LeftBracket, 1);
            case ']': return Punctuation(TokenKind.RightBracket, 1);
            case ',': return Punctuation(TokenKind.Comma, 1);
            case '*': return Punctuation(TokenKind.Star, 1);
            case '.': return FollowsOperand() ? Punctuation(TokenKind.Dot, 1) : Number();
            case '!': return Peek(1) == '=' ? Punctuation(TokenKind.NotEqual, 2) : Punctuation(TokenKind.Bang, 1);
            case '<': return Peek(1) == '=' ? Punctuation(TokenKind.LessOrEqual, 2) : Punctuation(TokenKind.Less, 1);
            case '>': return Peek(1) == '=' ? Punctuation(TokenKind.GreaterOrEqual, 2) : Punctuation(TokenKind.Greater, 1);
            case '=': return Peek(1) == '=' ? Punctuation(TokenKind.Equal, 2) : throw Error("unexpected '=' (did you mean '=='?)");
            case '&': return Peek(1) == '&' ? Punctuation(TokenKind.And, 2) : throw Error("unexpected '&' (did you mean '&&'?)");
            case '|': return Peek(1) == '|' ? Punctuation(TokenKind.Or, 2) : throw Error("unexpected '|' (did you mean '||'?)");
            case '\'': return String();
            case '"': throw Error("unexpected '\"': strings use single quotes");
            case '-' or '+': return Number();
        }
        if (char.IsAsciiDigit(c))
            return Number();
        if (char.IsAsciiLetter(c) || c == '_')
            return Word();
        throw Error($"unexpected character {DescribeChar(c)}");
    }

    /// <summary>
    /// A '.' after an operand is a dereference (the parser rejects it after a literal, as GitHub does); elsewhere it
    /// starts a number such as <c>.5</c>.
    /// </summary>
    private bool FollowsOperand() => tokens.Count > 0 && tokens[^1].Kind is TokenKind.Identifier or TokenKind.RightBracket
        or TokenKind.RightParen or TokenKind.Star or TokenKind.String or TokenKind.True or TokenKind.False or TokenKind.Null;

    private char Peek(int ahead) => pos + ahead < end ? source[pos + ahead] : '\0';

    private Token Punctuation(TokenKind kind, int length)
    {
        var token = new Token(kind, pos, length, source.Substring(pos, length));
        pos += length;
        return token;
    }

    private Token Number()
    {
        var first = pos;
        while (pos < end && (char.IsAsciiLetterOrDigit(source[pos]) || source[pos] is '.' or '_' or '+' or '-'))
            pos++;
        var text = source[first..pos];
        var value = NumberText.Parse(text);
        if (double.IsNaN(value))
        {
            pos = first;
            throw Error($"invalid number '{text}'");
        }
        return new Token(TokenKind.Number, first, text.Length, text, ExpressionValue.FromNumber(value));
    }

    private Token Word()
    {
        var first = pos;
        while (pos < end && (char.IsAsciiLetterOrDigit(source[pos]) || source[pos] is '_' or '-'))
            pos++;
        var text = source[first..pos];
        // After a '.', every word is a property name: `a.true` and `a.null` are properties.
        if (tokens.Count > 0 && tokens[^1].Kind == TokenKind.Dot)
            return new Token(TokenKind.Identifier, first, text.Length, text);
        return text switch
        {
            "true" => new Token(TokenKind.True, first, text.Length, text, ExpressionValue.True),
            "false" => new Token(TokenKind.False, first, text.Length, text, ExpressionValue.False),
            "null" => new Token(TokenKind.Null, first, text.Length, text, ExpressionValue.Null),
            "NaN" => new Token(TokenKind.Number, first, text.Length, text, ExpressionValue.FromNumber(double.NaN)),
            "Infinity" => new Token(TokenKind.Number, first, text.Length, text, ExpressionValue.FromNumber(double.PositiveInfinity)),
            _ => new Token(TokenKind.Identifier, first, text.Length, text),
        };
    }

    private Token String()
    {
        var first = pos;
        var value = new StringBuilder();
        pos++;
        while (true)
        {
            var close = source.IndexOf('\'', pos, end - pos);
            if (close < 0)
            {
                pos = first;
                throw Error("unterminated string");
            }
            value.Append(source, pos, close - pos);
            pos = close + 1;
            if (pos < end && source[pos] == '\'')
            {
                value.Append('\'');
                pos++;
                continue;
            }
            return new Token(TokenKind.String, first, pos - first, source[first..pos], ExpressionValue.FromString(value.ToString()));
        }
    }

    private ExpressionSyntaxException Error(string message) => new(message, pos);

    /// <summary>Quotes a printable character; names control and other invisible characters by code point.</summary>
    internal static string DescribeChar(char c) =>
        char.IsControl(c) || char.IsSurrogate(c) || char.IsWhiteSpace(c) || c == '\uFEFF' ? $"U+{(int)c:X4}" : $"'{c}'";
}
