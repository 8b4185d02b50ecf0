using System.Text.Json.Nodes;

namespace Orleans.Flyte.Domain.Specs;

/// <summary>Reads the <c>inputs</c> / <c>outputs</c> interface of a task or workflow.</summary>
internal static class Interfaces
{
    public const int MaxParameters = 64;

    public static IReadOnlyDictionary<string, ParameterSpec> Read(FieldReader fields, string field, bool allowDefaults)
    {
        var result = new Dictionary<string, ParameterSpec>(StringComparer.Ordinal);
        var obj = fields.Object(field);
        if (obj is null)
        {
            return result;
        }

        var pointer = fields.At(field);
        if (obj.Count > MaxParameters)
        {
            fields.Error(field, $"{obj.Count} {field} declared; at most {MaxParameters} are allowed");
            return result;
        }

        foreach (var (name, node) in obj)
        {
            var at = JsonPointer.Append(pointer, name);
            if (Names.ParameterNameError(name) is { } nameError)
            {
                fields.Errors.Add(new SpecError(at, nameError));
                continue;
            }

            if (Parameter(node, at, fields.Errors, allowDefaults) is { } parameter)
            {
                result[name] = parameter;
            }
        }

        return result;
    }

    private static ParameterSpec? Parameter(JsonNode? node, string pointer, List<SpecError> errors, bool allowDefaults)
    {
        if (FieldReader.Text(node) is { } shorthand && node is JsonValue)
        {
            var optional = shorthand.EndsWith('?');
            return ParseType(optional ? shorthand[..^1] : shorthand, pointer, errors) is { } type ? new ParameterSpec(type, optional, null, null) : null;
        }

        if (node is not JsonObject obj)
        {
            errors.Add(new SpecError(pointer, $"a parameter is a type (e.g. 'int') or a mapping {{ type: int, default: 10 }}, not {SpecDocument.Describe(node)}"));
            return null;
        }

        var fields = allowDefaults
            ? new FieldReader(obj, pointer, errors, "type", "default", "optional", "description")
            : new FieldReader(obj, pointer, errors, "type", "optional", "description");
        var start = errors.Count;
        var typeText = fields.String("type", required: true, example: "type: int");
        var description = fields.String("description");
        var isOptional = fields.Bool("optional") ?? false;
        var parsed = typeText is null ? null : ParseType(typeText.TrimEnd('?'), fields.At("type"), errors);
        var defaultValue = allowDefaults ? fields.Node("default") : null;
        if (parsed is not null && defaultValue is not null && !parsed.Accepts(defaultValue, out var reason))
        {
            fields.Error("default", $"the default does not match the type: {reason}");
        }

        return errors.Count == start && parsed is not null
            ? new ParameterSpec(parsed, isOptional || (typeText?.EndsWith('?') ?? false) || defaultValue is not null, defaultValue?.DeepClone(), description)
            : null;
    }

    private static ParameterType? ParseType(string text, string pointer, List<SpecError> errors)
    {
        if (ParameterType.TryParse(text, out var type))
        {
            if (type.NestsArtifactsTooDeep)
            {
                errors.Add(new SpecError(pointer, $"'{type}' holds files or directories where no runner places or collects them; write file, directory, list<file> or list<directory>"));
                return null;
            }

            return type;
        }

        if (ParameterType.IsUnknownArtifactFormat(text, out var format))
        {
            errors.Add(new SpecError(pointer, $"'{SpecDocument.Truncate(format)}' is not an artifact format; use one of {string.Join(", ", ArtifactFormats.Known)}, or write plain file / directory"));
            return null;
        }

        errors.Add(new SpecError(pointer, $"'{SpecDocument.Truncate(text)}' is not a type; use {ParameterType.Grammar}"));
        return null;
    }

    public static JsonObject ToJson(IReadOnlyDictionary<string, ParameterSpec> parameters)
    {
        var obj = new JsonObject();
        foreach (var (name, p) in parameters.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            obj[name] = p.ToJson();
        }

        return obj;
    }
}
