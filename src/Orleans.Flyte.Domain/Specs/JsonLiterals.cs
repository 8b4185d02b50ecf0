using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Orleans.Flyte.Domain.Specs;

/// <summary>Literal values inside specs (defaults, bound constants): normal form and size limits.</summary>
internal static class JsonLiterals
{
    /// <summary>
    /// A copy with numbers in one spelling (<c>10.0</c> and <c>1e1</c> become <c>10</c>), so the same value written
    /// in YAML or JSON, or with another spelling, gives the same canonical JSON.
    /// </summary>
    public static JsonNode? Normalize(JsonNode? node)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonObject obj:
                var copy = new JsonObject();
                foreach (var (key, value) in obj)
                {
                    copy[key] = Normalize(value);
                }

                return copy;
            case JsonArray array:
                return new JsonArray([.. array.Select(Normalize)]);
            case JsonValue value when value.GetValueKind() == JsonValueKind.Number:
                var text = value.ToJsonString();
                if (decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
                    && d == decimal.Truncate(d) && d >= long.MinValue && d <= long.MaxValue)
                {
                    return JsonValue.Create((long)d);
                }

                return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number)
                    ? JsonValue.Create(number)
                    : value.DeepClone();
            default:
                return node.DeepClone();
        }
    }

    /// <summary>Reports every text value (and key) longer than <see cref="FieldReader.MaxStringLength"/>, wherever it is.</summary>
    public static void CheckStringLengths(JsonNode? node, string pointer, List<SpecError> errors)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    var at = JsonPointer.Append(pointer, key);
                    if (key.Length > FieldReader.MaxStringLength)
                    {
                        errors.Add(new SpecError(pointer, $"a field name is {key.Length} characters long ('{SpecDocument.Truncate(key)}'); at most {FieldReader.MaxStringLength} are allowed"));
                        continue;
                    }

                    CheckStringLengths(value, at, errors);
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    CheckStringLengths(array[i], JsonPointer.Append(pointer, i), errors);
                }

                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                var text = value.GetValue<string>();
                if (text.Length > FieldReader.MaxStringLength)
                {
                    errors.Add(new SpecError(pointer, $"the text '{SpecDocument.Truncate(text)}' is {text.Length} characters long; values may be at most {FieldReader.MaxStringLength} (16 KiB)"));
                }

                break;
        }
    }

    /// <summary>Pointers of text inside a list or mapping literal that looks like a binding, which only whole values may be.</summary>
    public static IEnumerable<string> NestedTemplates(JsonNode? node, string pointer) => node switch
    {
        JsonObject obj => obj.SelectMany(p => NestedTemplates(p.Value, JsonPointer.Append(pointer, p.Key))),
        JsonArray array => array.SelectMany((item, i) => NestedTemplates(item, JsonPointer.Append(pointer, i))),
        JsonValue v when v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().Contains("{{", StringComparison.Ordinal) => [pointer],
        _ => [],
    };
}
