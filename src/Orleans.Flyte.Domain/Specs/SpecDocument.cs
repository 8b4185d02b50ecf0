using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Orleans.Flyte.Domain.Specs;

/// <summary>Reads a spec document written in YAML or JSON into one JSON tree that the spec readers check.</summary>
public static partial class SpecDocument
{
    public const int MaxBytes = 256 * 1024;

    public static SpecResult<JsonObject> Parse(string text, SpecFormat format = SpecFormat.Auto)
    {
        ArgumentNullException.ThrowIfNull(text);
        var bytes = Encoding.UTF8.GetByteCount(text);
        if (bytes > MaxBytes)
        {
            return SpecResult<JsonObject>.Fail(string.Empty, $"spec is {bytes} bytes; the limit is {MaxBytes}");
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            return SpecResult<JsonObject>.Fail(string.Empty, "the document is empty");
        }

        if (format == SpecFormat.Auto)
        {
            format = text.TrimStart().StartsWith('{') ? SpecFormat.Json : SpecFormat.Yaml;
        }

        return format == SpecFormat.Json ? ParseJson(text) : ParseYaml(text);
    }

    private static SpecResult<JsonObject> ParseJson(string text)
    {
        try
        {
            var node = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = 64 });
            return node is JsonObject obj
                ? SpecResult<JsonObject>.Ok(obj)
                : SpecResult<JsonObject>.Fail(string.Empty, "the document must be a JSON object (a mapping of fields), not " + Describe(node));
        }
        catch (JsonException ex)
        {
            var line = (ex.LineNumber ?? 0) + 1;
            var column = (ex.BytePositionInLine ?? 0) + 1;
            return SpecResult<JsonObject>.Fail(string.Empty, $"invalid JSON at line {line}, column {column}: {FirstSentence(ex.Message)}");
        }
    }

    private static SpecResult<JsonObject> ParseYaml(string text)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            var inner = ex.InnerException?.Message ?? ex.Message;
            return SpecResult<JsonObject>.Fail(
                string.Empty,
                $"invalid YAML at line {ex.Start.Line}, column {ex.Start.Column}: {FirstSentence(inner.Contains("): ", StringComparison.Ordinal) ? inner[(inner.IndexOf("): ", StringComparison.Ordinal) + 3)..] : inner)}");
        }

        if (stream.Documents.Count != 1)
        {
            return SpecResult<JsonObject>.Fail(string.Empty,
                stream.Documents.Count == 0
                    ? "the document is empty"
                    : $"the document holds {stream.Documents.Count} YAML documents ('---'); send one spec per request");
        }

        var errors = new List<SpecError>();
        var root = Convert(stream.Documents[0].RootNode, string.Empty, errors, depth: 0);
        if (errors.Count > 0)
        {
            return SpecResult<JsonObject>.Fail(errors);
        }

        return root is JsonObject obj
            ? SpecResult<JsonObject>.Ok(obj)
            : SpecResult<JsonObject>.Fail(string.Empty, "the document must be a YAML mapping of fields (name: ..., version: ...), not " + Describe(root));
    }

    private static JsonNode? Convert(YamlNode node, string pointer, List<SpecError> errors, int depth)
    {
        if (depth > 64)
        {
            errors.Add(new SpecError(pointer, "the document is nested more than 64 levels deep"));
            return null;
        }

        switch (node)
        {
            case YamlMappingNode mapping:
                var obj = new JsonObject();
                foreach (var (keyNode, valueNode) in mapping.Children)
                {
                    if (keyNode is not YamlScalarNode { Value: { } key })
                    {
                        errors.Add(new SpecError(pointer, $"line {keyNode.Start.Line}: keys must be plain text"));
                        continue;
                    }

                    var child = JsonPointer.Append(pointer, key);
                    if (obj.ContainsKey(key))
                    {
                        errors.Add(new SpecError(child, $"line {keyNode.Start.Line}: field '{key}' is given twice"));
                        continue;
                    }

                    obj[key] = Convert(valueNode, child, errors, depth + 1);
                }

                return obj;
            case YamlSequenceNode sequence:
                var array = new JsonArray();
                var index = 0;
                foreach (var item in sequence.Children)
                {
                    array.Add(Convert(item, JsonPointer.Append(pointer, index++), errors, depth + 1));
                }

                return array;
            case YamlScalarNode scalar:
                return Scalar(scalar);
            default:
                errors.Add(new SpecError(pointer, $"line {node.Start.Line}: unsupported YAML node"));
                return null;
        }
    }

    /// <summary>Plain scalars are typed as in YAML 1.2's core schema; quoted scalars are always strings.</summary>
    private static JsonValue? Scalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? string.Empty;
        if (scalar.Style is not ScalarStyle.Plain)
        {
            return JsonValue.Create(value);
        }

        switch (value)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE":
                return JsonValue.Create(false);
        }

        if (IntegerPattern().IsMatch(value) && long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return JsonValue.Create(integer);
        }

        if (FloatPattern().IsMatch(value) && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number))
        {
            return JsonValue.Create(number);
        }

        return JsonValue.Create(value);
    }

    internal static string Describe(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "a mapping",
        JsonArray => "a list",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => $"the text '{Truncate(v.GetValue<string>())}'",
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => $"the number {v.ToJsonString()}",
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => $"the boolean {v.ToJsonString()}",
        _ => node.ToJsonString(),
    };

    internal static string Truncate(string text) => text.Length <= 80 ? text : text[..77] + "...";

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end > 0 ? message[..end] : message.TrimEnd('.');
    }

    [GeneratedRegex("^[-+]?[0-9]+$")]
    private static partial Regex IntegerPattern();

    [GeneratedRegex("^[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();
}
