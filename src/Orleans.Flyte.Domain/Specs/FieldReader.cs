using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Orleans.Flyte.Domain.Specs;

/// <summary>Reads the fields of one JSON object, reporting every problem with the pointer of the field.</summary>
internal sealed class FieldReader
{
    public const int MaxStringLength = 16 * 1024;

    private readonly JsonObject _object;

    public FieldReader(JsonObject obj, string pointer, List<SpecError> errors, params string[] known)
    {
        _object = obj;
        Pointer = pointer;
        Errors = errors;
        foreach (var (key, _) in obj)
        {
            if (!known.Contains(key, StringComparer.Ordinal))
            {
                Errors.Add(new SpecError(JsonPointer.Append(pointer, key), UnknownFields.Message(key, known)));
            }
        }
    }

    public string Pointer { get; }

    public List<SpecError> Errors { get; }

    public string At(string field) => JsonPointer.Append(Pointer, field);

    public bool Has(string field) => _object.TryGetPropertyValue(field, out var v) && v is not null;

    public JsonNode? Node(string field) => _object.TryGetPropertyValue(field, out var v) ? v : null;

    public void Error(string field, string message) => Errors.Add(new SpecError(At(field), message));

    public string? String(string field, bool required = false, string? example = null)
    {
        var node = Node(field);
        if (node is null)
        {
            if (required)
            {
                Error(field, $"'{field}' is required" + (example is null ? string.Empty : $" (e.g. {example})"));
            }

            return null;
        }

        var text = Text(node);
        if (text is null)
        {
            Error(field, $"'{field}' must be text, not {SpecDocument.Describe(node)}");
            return null;
        }

        // Over-long text was reported once for the whole document (JsonLiterals.CheckStringLengths).
        return text.Length > MaxStringLength ? null : text;
    }

    /// <summary>Text, or the text of a number or boolean (YAML turns <c>cpu: 4</c> and <c>SEED: 7</c> into numbers).</summary>
    public static string? Text(JsonNode? node) => node is JsonValue v
        ? v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.Number => v.ToJsonString(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            _ => null,
        }
        : null;

    /// <summary>The <c>name</c> (a DNS-1123 label) and <c>version</c> every registered document has.</summary>
    public (string? Name, string? Version) NameAndVersion(string exampleName)
    {
        var name = String("name", required: true, example: $"name: {exampleName}");
        if (name is not null && Names.Dns1123LabelError(name) is { } nameError)
        {
            Error("name", nameError);
        }

        var version = String("version", required: true, example: "version: v1");
        if (version is not null && Names.VersionError(version) is { } versionError)
        {
            Error("version", versionError);
        }

        return (name, version);
    }

    public int? Int(string field, int min, int max)
    {
        var node = Node(field);
        if (node is null)
        {
            return null;
        }

        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number
            && decimal.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d == decimal.Truncate(d))
        {
            if (d < min || d > max)
            {
                Error(field, $"'{field}' is {d}; it must be between {min} and {max}");
                return null;
            }

            return (int)d;
        }

        Error(field, $"'{field}' must be a whole number between {min} and {max}, not {SpecDocument.Describe(node)}");
        return null;
    }

    public bool? Bool(string field)
    {
        var node = Node(field);
        if (node is null)
        {
            return null;
        }

        if (node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
        {
            return v.GetValue<bool>();
        }

        Error(field, $"'{field}' must be true or false, not {SpecDocument.Describe(node)}");
        return null;
    }

    public JsonObject? Object(string field, bool required = false)
    {
        var node = Node(field);
        if (node is null)
        {
            if (required)
            {
                Error(field, $"'{field}' is required");
            }

            return null;
        }

        if (node is JsonObject obj)
        {
            return obj;
        }

        Error(field, $"'{field}' must be a mapping, not {SpecDocument.Describe(node)}");
        return null;
    }

    public JsonArray? Array(string field, bool required = false)
    {
        var node = Node(field);
        if (node is null)
        {
            if (required)
            {
                Error(field, $"'{field}' is required");
            }

            return null;
        }

        if (node is JsonArray array)
        {
            return array;
        }

        Error(field, $"'{field}' must be a list, not {SpecDocument.Describe(node)}");
        return null;
    }

    public TimeSpan? Duration(string field, TimeSpan min, TimeSpan max)
    {
        var text = String(field);
        if (text is null)
        {
            return null;
        }

        if (!DurationText.TryParse(text, out var duration))
        {
            Error(field, $"'{text}' is not a duration; write e.g. 90s, 30m, 2h or 1h30m");
            return null;
        }

        if (duration < min || duration > max)
        {
            Error(field, $"'{text}' is out of range; it must be between {DurationText.Format(min)} and {DurationText.Format(max)}");
            return null;
        }

        return duration;
    }
}
