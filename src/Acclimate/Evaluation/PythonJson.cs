using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Acclimate.Evaluation;

/// <summary>
/// Writes JSON the way Python's <c>json.dumps(obj, ensure_ascii=False)</c> does: <c>", "</c> and
/// <c>": "</c> separators, non-ASCII left as is, floats as Python's <c>repr</c> (<c>1.0</c>,
/// <c>0.6666666666666666</c>, <c>1e-05</c>). Files made by Python tools (like the seqeval fixtures)
/// can then be regenerated here and compared byte for byte.
/// </summary>
public static class PythonJson
{
    /// <summary>Serializes a node on one line.</summary>
    public static string Serialize(JsonNode? node)
    {
        var sb = new StringBuilder();
        Write(sb, node);
        return sb.ToString();
    }

    /// <summary>
    /// A double as Python's <c>repr</c> writes it: shortest round-trip digits, a <c>.0</c> on whole
    /// numbers, exponent form below 1e-4 and from 1e16. NaN and infinities as <c>NaN</c>,
    /// <c>Infinity</c>, <c>-Infinity</c> (what <c>json.dumps</c> emits for them).
    /// </summary>
    public static string FormatFloat(double value)
    {
        if (double.IsNaN(value)) return "NaN";
        if (double.IsPositiveInfinity(value)) return "Infinity";
        if (double.IsNegativeInfinity(value)) return "-Infinity";

        // .NET's "R" already gives the shortest round-trip digits; only the layout differs from Python.
        var text = value.ToString("R", CultureInfo.InvariantCulture);
        var negative = text.StartsWith('-');
        if (negative) text = text[1..];
        var exponent = 0;
        var e = text.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            exponent = int.Parse(text[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            text = text[..e];
        }
        var dot = text.IndexOf('.');
        var integerPart = dot < 0 ? text : text[..dot];
        var allDigits = integerPart + (dot < 0 ? "" : text[(dot + 1)..]);
        var leadingZeros = allDigits.Length - allDigits.TrimStart('0').Length;
        var digits = allDigits.Trim('0');
        var sign = negative ? "-" : "";
        if (digits.Length == 0) return sign + "0.0";

        // value = d0.d1d2... x 10^point
        var point = integerPart.Length - 1 - leadingZeros + exponent;
        if (point < -4 || point >= 16)
        {
            var mantissa = digits.Length == 1 ? digits : digits[0] + "." + digits[1..];
            return $"{sign}{mantissa}e{(point < 0 ? "-" : "+")}{Math.Abs(point):00}";
        }
        if (point < 0) return $"{sign}0.{new string('0', -point - 1)}{digits}";
        if (digits.Length <= point + 1) return $"{sign}{digits}{new string('0', point + 1 - digits.Length)}.0";
        return $"{sign}{digits[..(point + 1)]}.{digits[(point + 1)..]}";
    }

    private static void Write(StringBuilder sb, JsonNode? node)
    {
        switch (node)
        {
            case null:
                sb.Append("null");
                break;
            case JsonObject obj:
                sb.Append('{');
                var firstProperty = true;
                foreach (var (key, value) in obj)
                {
                    if (!firstProperty) sb.Append(", ");
                    firstProperty = false;
                    WriteString(sb, key);
                    sb.Append(": ");
                    Write(sb, value);
                }
                sb.Append('}');
                break;
            case JsonArray array:
                sb.Append('[');
                for (var i = 0; i < array.Count; i++)
                {
                    if (i > 0) sb.Append(", ");
                    Write(sb, array[i]);
                }
                sb.Append(']');
                break;
            case JsonValue value:
                WriteValue(sb, value);
                break;
        }
    }

    private static void WriteValue(StringBuilder sb, JsonValue value)
    {
        if (value.TryGetValue<JsonElement>(out var element))
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.String: WriteString(sb, element.GetString()!); return;
                // A parsed number keeps the text it was read from; Python-made input stays as it was.
                case JsonValueKind.Number: sb.Append(element.GetRawText()); return;
                case JsonValueKind.True: sb.Append("true"); return;
                case JsonValueKind.False: sb.Append("false"); return;
                case JsonValueKind.Null: sb.Append("null"); return;
                default: Write(sb, JsonNode.Parse(element.GetRawText())); return;
            }
        }
        if (value.TryGetValue<string>(out var s)) WriteString(sb, s);
        else if (value.TryGetValue<bool>(out var b)) sb.Append(b ? "true" : "false");
        else if (value.TryGetValue<int>(out var i)) sb.Append(i.ToString(CultureInfo.InvariantCulture));
        else if (value.TryGetValue<long>(out var l)) sb.Append(l.ToString(CultureInfo.InvariantCulture));
        else if (value.TryGetValue<double>(out var d)) sb.Append(FormatFloat(d));
        else if (value.TryGetValue<float>(out var f)) sb.Append(FormatFloat(f));
        else sb.Append(value.ToJsonString());
    }

    private static void WriteString(StringBuilder sb, string text)
    {
        sb.Append('"');
        foreach (var c in text)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }
}
