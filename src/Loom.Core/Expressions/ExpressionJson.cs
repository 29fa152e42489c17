using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Loom.Core.Expressions;

/// <summary>JSON in and out of <see cref="ExpressionValue"/> with System.Text.Json, bounded in depth and size.</summary>
internal static class ExpressionJson
{
    // The largest double range in which every integer is exact; such numbers print without a fraction.
    private const double MaxExactInteger = 9007199254740992d;

    public static readonly string TooLarge =
        $"the JSON would be longer than {ExpressionLimits.MaxResultLength} bytes or nested deeper than 1000 levels";

    private static readonly JsonDocumentOptions ReadOptions = new() { MaxDepth = ExpressionLimits.MaxJsonDepth };

    public static bool TryParse(string json, out ExpressionValue value, out string error)
    {
        try
        {
            using var document = JsonDocument.Parse(json, ReadOptions);
            value = FromElement(document.RootElement);
            error = "";
            return true;
        }
        catch (JsonException e)
        {
            value = ExpressionValue.Null;
            error = e.Message;
            return false;
        }
    }

    public static ExpressionValue FromElement(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.True => ExpressionValue.True,
        JsonValueKind.False => ExpressionValue.False,
        JsonValueKind.Number => ExpressionValue.FromNumber(element.GetDouble()),
        JsonValueKind.String => ExpressionValue.FromString(element.GetString()),
        JsonValueKind.Array => ExpressionValue.FromArray(element.EnumerateArray().Select(FromElement)),
        JsonValueKind.Object => ExpressionValue.FromObject(
            element.EnumerateObject().Select(p => new KeyValuePair<string, ExpressionValue>(p.Name, FromElement(p.Value)))),
        _ => ExpressionValue.Null,
    };

    /// <summary>Writes <paramref name="value"/>; false when the text would exceed <see cref="ExpressionLimits.MaxResultLength"/> bytes or nest too deep.</summary>
    public static bool TryWrite(ExpressionValue value, bool indented, out string json)
    {
        var buffer = new BoundedBufferWriter(ExpressionLimits.MaxResultLength);
        var options = new JsonWriterOptions
        {
            Indented = indented,
            NewLine = "\n",
            // Readable like GitHub's output: no \u escapes for quotes, '<', '+' or non-ASCII text.
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            SkipValidation = true,
        };
        try
        {
            using (var writer = new Utf8JsonWriter(buffer, options))
            {
                Write(writer, value);
            }
            json = Encoding.UTF8.GetString(buffer.WrittenSpan);
            return true;
        }
        catch (Exception e) when (e is ResultTooLongException or InsufficientExecutionStackException or InvalidOperationException)
        {
            json = "";
            return false;
        }
    }

    private static void Write(Utf8JsonWriter writer, ExpressionValue value)
    {
        // Values from contexts may be nested arbitrarily deep by the runtime; never overflow the stack on them.
        RuntimeHelpers.EnsureSufficientExecutionStack();
        switch (value.Kind)
        {
            case ValueKind.Null:
                writer.WriteNullValue();
                break;
            case ValueKind.Boolean:
                writer.WriteBooleanValue(value.AsBoolean());
                break;
            case ValueKind.Number:
                WriteNumber(writer, value.ToNumber());
                break;
            case ValueKind.String:
                writer.WriteStringValue(value.AsString());
                break;
            case ValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in value.Items)
                    Write(writer, item);
                writer.WriteEndArray();
                break;
            default:
                writer.WriteStartObject();
                foreach (var (key, property) in value.Properties)
                {
                    writer.WritePropertyName(key);
                    Write(writer, property);
                }
                writer.WriteEndObject();
                break;
        }
    }

    private static void WriteNumber(Utf8JsonWriter writer, double number)
    {
        if (double.IsNaN(number) || double.IsInfinity(number))
            writer.WriteStringValue(NumberText.Format(number)); // JSON has no NaN or Infinity
        else if (Math.Abs(number) <= MaxExactInteger && number == Math.Floor(number))
            writer.WriteNumberValue((long)number);
        else
            writer.WriteNumberValue(number);
    }

    private sealed class ResultTooLongException : Exception;

    /// <summary>Stops a toJSON of a huge value before it allocates more than the result limit.</summary>
    private sealed class BoundedBufferWriter(int limit) : IBufferWriter<byte>
    {
        private readonly ArrayBufferWriter<byte> inner = new();

        public ReadOnlySpan<byte> WrittenSpan => inner.WrittenSpan;

        public void Advance(int count) => inner.Advance(count);

        public Memory<byte> GetMemory(int sizeHint = 0) => Check(sizeHint).inner.GetMemory(sizeHint);

        public Span<byte> GetSpan(int sizeHint = 0) => Check(sizeHint).inner.GetSpan(sizeHint);

        private BoundedBufferWriter Check(int sizeHint) =>
            inner.WrittenCount + (long)sizeHint > limit ? throw new ResultTooLongException() : this;
    }
}
