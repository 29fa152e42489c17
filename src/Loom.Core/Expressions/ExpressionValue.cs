using System.Text.Json;

namespace Loom.Core.Expressions;

/// <summary>
/// An immutable expression value: null, boolean, number (double), string, array or object (keys case-insensitive,
/// insertion order kept). Conversions follow GitHub Actions' rules.
/// </summary>
public sealed class ExpressionValue
{
    // Declared before the shared values below, which read them while being initialized.
    private static readonly ExpressionValue[] NoItems = [];
    private static readonly PropertyMap NoProperties = new([]);

    /// <summary>The null value.</summary>
    public static readonly ExpressionValue Null = new(ValueKind.Null);

    /// <summary>The boolean true.</summary>
    public static readonly ExpressionValue True = new(ValueKind.Boolean, number: 1d);

    /// <summary>The boolean false.</summary>
    public static readonly ExpressionValue False = new(ValueKind.Boolean);

    /// <summary>The empty string.</summary>
    public static readonly ExpressionValue EmptyString = new(ValueKind.String, text: "");

    private readonly double number;
    private readonly string? text;
    private readonly ExpressionValue[] items = NoItems;
    private readonly PropertyMap properties = NoProperties;

    private ExpressionValue(ValueKind kind, double number = 0d, string? text = null)
    {
        Kind = kind;
        this.number = number;
        this.text = text;
    }

    private ExpressionValue(ExpressionValue[] items, bool isFiltered)
        : this(ValueKind.Array)
    {
        this.items = items;
        IsFilteredArray = isFiltered;
    }

    private ExpressionValue(PropertyMap properties)
        : this(ValueKind.Object) => this.properties = properties;

    /// <summary>Which of the six kinds this value is.</summary>
    public ValueKind Kind { get; }

    /// <summary>The elements of an array; empty for every other kind.</summary>
    public IReadOnlyList<ExpressionValue> Items => items;

    /// <summary>The properties of an object in insertion order; empty for every other kind.</summary>
    public IReadOnlyList<KeyValuePair<string, ExpressionValue>> Properties => properties.Entries;

    /// <summary>A property of an object (case-insensitive), or <see cref="Null"/> when absent or not an object.</summary>
    public ExpressionValue this[string name] => properties.TryGet(name, out var value) ? value : Null;

    /// <summary>An array produced by the <c>*</c> object filter: further dereferences map over its elements.</summary>
    internal bool IsFilteredArray { get; }

    /// <summary>Whether this is null, a boolean, a number or a string (not an array or object).</summary>
    public bool IsPrimitive => Kind is not (ValueKind.Array or ValueKind.Object);

    /// <summary>GitHub's truthiness: null, false, 0, -0, NaN and '' are falsy; everything else (arrays, objects) truthy.</summary>
    public bool IsTruthy => Kind switch
    {
        ValueKind.Null => false,
        ValueKind.Boolean or ValueKind.Number => number != 0d && !double.IsNaN(number),
        ValueKind.String => text!.Length > 0,
        _ => true,
    };

    /// <summary>Creates a boolean.</summary>
    public static ExpressionValue FromBoolean(bool value) => value ? True : False;

    /// <summary>Creates a number.</summary>
    public static ExpressionValue FromNumber(double value) => new(ValueKind.Number, number: value);

    /// <summary>Creates a string; a null reference becomes <see cref="Null"/>.</summary>
    public static ExpressionValue FromString(string? value) =>
        value is null ? Null : value.Length == 0 ? EmptyString : new(ValueKind.String, text: value);

    /// <summary>Creates an array of the given elements.</summary>
    public static ExpressionValue FromArray(IEnumerable<ExpressionValue> items) => new(items.ToArray(), isFiltered: false);

    /// <summary>Creates an object; a later key that equals an earlier one ignoring case replaces its value.</summary>
    public static ExpressionValue FromObject(IEnumerable<KeyValuePair<string, ExpressionValue>> properties) =>
        new(new PropertyMap(properties));

    /// <summary>Creates an object of string values, e.g. <c>env</c> or step outputs.</summary>
    public static ExpressionValue FromStrings(IEnumerable<KeyValuePair<string, string>> properties) =>
        FromObject(properties.Select(p => new KeyValuePair<string, ExpressionValue>(p.Key, FromString(p.Value))));

    internal static ExpressionValue FilteredArray(List<ExpressionValue> items) => new(items.ToArray(), isFiltered: true);

    /// <summary>A property of an object (case-insensitive); false when absent or not an object.</summary>
    public bool TryGetProperty(string name, out ExpressionValue value) => properties.TryGet(name, out value);

    /// <summary>The boolean of a boolean value; throws for other kinds (use <see cref="IsTruthy"/> to coerce).</summary>
    public bool AsBoolean() => Kind == ValueKind.Boolean ? number != 0d : throw WrongKind(ValueKind.Boolean);

    /// <summary>The string of a string value; throws for other kinds (use <see cref="ToInterpolationString"/> to coerce).</summary>
    public string AsString() => Kind == ValueKind.String ? text! : throw WrongKind(ValueKind.String);

    /// <summary>GitHub's number coercion: null 0, true 1, false 0, strings as JavaScript's <c>Number()</c>, arrays and objects NaN.</summary>
    public double ToNumber() => Kind switch
    {
        ValueKind.Null => 0d,
        ValueKind.Boolean or ValueKind.Number => number,
        ValueKind.String => NumberText.Parse(text!),
        _ => double.NaN,
    };

    /// <summary>
    /// The text that <c>${{ }}</c> puts into a string: null '', booleans 'true'/'false', numbers as GitHub's runner
    /// formats them (<c>3</c>, <c>1.5</c>, <c>1E+21</c>), arrays 'Array', objects 'Object'.
    /// </summary>
    public string ToInterpolationString() => Kind switch
    {
        ValueKind.Null => "",
        ValueKind.Boolean => number != 0d ? "true" : "false",
        ValueKind.Number => NumberText.Format(number),
        ValueKind.String => text!,
        ValueKind.Array => "Array",
        _ => "Object",
    };

    /// <summary>The value as JSON, indented by two spaces with <c>\n</c> line ends, as GitHub's <c>toJSON</c> writes it.</summary>
    /// <exception cref="InvalidOperationException">The JSON would exceed <see cref="ExpressionLimits.MaxResultLength"/> bytes or 1000 levels.</exception>
    public string ToJson() => ExpressionJson.TryWrite(this, indented: true, out var json)
        ? json
        : throw new InvalidOperationException(ExpressionJson.TooLarge);

    /// <summary>Parses any JSON value (numbers become doubles); on failure returns false and a readable reason.</summary>
    public static bool TryParseJson(string json, out ExpressionValue value, out string error) =>
        ExpressionJson.TryParse(json, out value, out error);

    /// <summary>Converts a parsed JSON value, e.g. the event file behind <c>loom.event</c>.</summary>
    public static ExpressionValue FromJson(JsonElement json) => ExpressionJson.FromElement(json);

    /// <summary>The value on one line for test output and debugging: strings quoted, everything else as compact JSON.</summary>
    public override string ToString() =>
        Kind == ValueKind.String ? $"'{text}'" : ExpressionJson.TryWrite(this, indented: false, out var json) ? json : Kind.ToString();

    private InvalidOperationException WrongKind(ValueKind expected) => new($"the value is {Kind}, not {expected}");
}
