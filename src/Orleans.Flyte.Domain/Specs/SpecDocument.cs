using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

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
            // JsonObject throws on a repeated key when first touched; find repeats first, with their place.
            var errors = new List<SpecError>();
            using (var document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = MaxDepth }))
            {
                FindDuplicateKeys(document.RootElement, string.Empty, errors);
            }

            if (errors.Count > 0)
            {
                return SpecResult<JsonObject>.Fail(errors);
            }

            var node = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = MaxDepth });
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

    private static void FindDuplicateKeys(JsonElement element, string pointer, List<SpecError> errors)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in element.EnumerateObject())
            {
                var child = JsonPointer.Append(pointer, property.Name);
                if (!seen.Add(property.Name))
                {
                    errors.Add(new SpecError(child, $"field '{property.Name}' is given twice"));
                    continue;
                }

                FindDuplicateKeys(property.Value, child, errors);
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            var index = 0;
            foreach (var item in element.EnumerateArray())
            {
                FindDuplicateKeys(item, JsonPointer.Append(pointer, index++), errors);
            }
        }
    }

    private static SpecResult<JsonObject> ParseYaml(string text)
    {
        var parser = new Parser(new StringReader(text));
        var reader = new YamlReader(parser);
        try
        {
            parser.Consume<StreamStart>();
            if (parser.Accept<StreamEnd>(out _))
            {
                return SpecResult<JsonObject>.Fail(string.Empty, "the document is empty");
            }

            parser.Consume<DocumentStart>();
            var root = reader.Read(string.Empty, depth: 0);
            parser.Consume<DocumentEnd>();
            if (parser.Accept<DocumentStart>(out var next))
            {
                return SpecResult<JsonObject>.Fail(string.Empty,
                    $"a second YAML document starts at line {next.Start.Line} ('---'); send one spec per request");
            }

            if (reader.Errors.Count > 0)
            {
                return SpecResult<JsonObject>.Fail(reader.Errors);
            }

            return root is JsonObject obj
                ? SpecResult<JsonObject>.Ok(obj)
                : SpecResult<JsonObject>.Fail(string.Empty, "the document must be a YAML mapping of fields (name: ..., version: ...), not " + Describe(root));
        }
        catch (YamlException ex)
        {
            var inner = ex.InnerException?.Message ?? ex.Message;
            var detail = inner.Contains("): ", StringComparison.Ordinal) ? inner[(inner.IndexOf("): ", StringComparison.Ordinal) + 3)..] : inner;
            if (detail.Contains("tab", StringComparison.OrdinalIgnoreCase) && TabIndentation(text, ex.Start.Line) is var (tabLine, tabColumn))
            {
                // YamlDotNet places tab errors where the enclosing mapping starts (often line 1) or at the end of the line
                // before; the engineer needs the line that holds the tab.
                return SpecResult<JsonObject>.Fail(string.Empty,
                    $"invalid YAML at line {tabLine}, column {tabColumn}: a tab is used for indentation; YAML indents with spaces only");
            }

            return SpecResult<JsonObject>.Fail(string.Empty, $"invalid YAML at line {ex.Start.Line}, column {ex.Start.Column}: {FirstSentence(detail)}");
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's parser gives up this way on some unclosed flow collections ("a: [1, 2" then a new line).
            return SpecResult<JsonObject>.Fail(string.Empty,
                $"invalid YAML after line {reader.LastLine}, column {reader.LastColumn}: the text is not well formed; look for an unclosed '[', '{{' or quote");
        }
        catch (NestingTooDeepException ex)
        {
            return SpecResult<JsonObject>.Fail(ex.Pointer, $"the document is nested more than {MaxDepth} levels deep");
        }
    }

    private const int MaxDepth = 64;

    /// <summary>The first line from <paramref name="fromLine"/> on whose indentation holds a tab, and the tab's column.</summary>
    private static (long Line, long Column)? TabIndentation(string text, long fromLine)
    {
        var lines = text.Split('\n');
        for (var i = (int)Math.Max(0, fromLine - 1); i < lines.Length; i++)
        {
            var indentation = lines[i].Length - lines[i].TrimStart(' ', '\t').Length;
            var tab = lines[i].IndexOf('\t', StringComparison.Ordinal);
            if (tab >= 0 && tab < indentation)
            {
                return (i + 1, tab + 1);
            }
        }

        return null;
    }

    private sealed class NestingTooDeepException(string pointer) : Exception
    {
        public string Pointer { get; } = pointer;
    }

    /// <summary>Builds the JSON tree from parser events, so anchors, aliases and tags are seen as written.</summary>
    private sealed class YamlReader(IParser parser)
    {
        public List<SpecError> Errors { get; } = [];

        public long LastLine { get; private set; } = 1;

        public long LastColumn { get; private set; } = 1;

        public JsonNode? Read(string pointer, int depth)
        {
            if (depth > MaxDepth)
            {
                throw new NestingTooDeepException(pointer);
            }

            var current = parser.Current ?? throw new InvalidOperationException("no YAML event");
            LastLine = current.End.Line;
            LastColumn = current.End.Column;
            if (current is AnchorAlias alias)
            {
                parser.MoveNext();
                Errors.Add(new SpecError(pointer, $"line {alias.Start.Line}: YAML aliases (*{alias.Value}) are not supported; write the value out in full"));
                return null;
            }

            if (current is NodeEvent { Anchor.IsEmpty: false } anchored)
            {
                // Aliases can only refer to anchors, so rejecting anchors also rules out alias bombs.
                Errors.Add(new SpecError(pointer, $"line {anchored.Start.Line}: YAML anchors (&{anchored.Anchor.Value}) are not supported; write the value out in full"));
            }

            switch (current)
            {
                case Scalar scalar:
                    parser.MoveNext();
                    return ScalarValue(scalar, pointer);
                case SequenceStart:
                    parser.MoveNext();
                    var array = new JsonArray();
                    var index = 0;
                    while (!parser.TryConsume<SequenceEnd>(out _))
                    {
                        array.Add(Read(JsonPointer.Append(pointer, index++), depth + 1));
                    }

                    return array;
                case MappingStart:
                    parser.MoveNext();
                    var obj = new JsonObject();
                    while (!parser.TryConsume<MappingEnd>(out _))
                    {
                        var keyEvent = parser.Current;
                        if (keyEvent is not Scalar { Anchor.IsEmpty: true } keyScalar)
                        {
                            Errors.Add(new SpecError(pointer, $"line {keyEvent?.Start.Line}: keys must be plain text"));
                            Read(pointer, depth + 1);
                            Read(pointer, depth + 1);
                            continue;
                        }

                        parser.MoveNext();
                        var keyText = keyScalar.Value;
                        var child = JsonPointer.Append(pointer, keyText);
                        var value = Read(child, depth + 1);
                        if (!obj.TryAdd(keyText, value))
                        {
                            Errors.Add(new SpecError(child, $"line {keyScalar.Start.Line}: field '{keyText}' is given twice"));
                        }
                    }

                    return obj;
                default:
                    throw new InvalidOperationException($"unexpected YAML event {current.GetType().Name}");
            }
        }

        private JsonValue? ScalarValue(Scalar scalar, string pointer)
        {
            var value = scalar.Value;
            var tag = scalar.Tag.IsEmpty || scalar.Tag.IsNonSpecific ? null : scalar.Tag.Value;
            switch (tag)
            {
                case null when scalar.Style is not ScalarStyle.Plain:
                case "tag:yaml.org,2002:str":
                    return JsonValue.Create(value);
                case null or "tag:yaml.org,2002:int" or "tag:yaml.org,2002:float" or "tag:yaml.org,2002:bool" or "tag:yaml.org,2002:null":
                    return Plain(value);
                default:
                    Errors.Add(new SpecError(pointer, $"line {scalar.Start.Line}: the YAML tag '{tag}' is not supported; use plain values (quote text)"));
                    return null;
            }
        }
    }

    /// <summary>Plain scalars are typed as in YAML 1.2's core schema; numbers keep the digits as written.</summary>
    private static JsonValue? Plain(string value)
    {
        switch (value)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE":
                return JsonValue.Create(false);
        }

        if (JsonNumberPattern().IsMatch(value))
        {
            // As JSON would read it: 'version: 1.10' stays 1.10 (not 1.1) wherever it is turned into text.
            return JsonNode.Parse(value) as JsonValue;
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

    [GeneratedRegex("^-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][-+]?[0-9]+)?$")]
    private static partial Regex JsonNumberPattern();

    [GeneratedRegex("^[-+]?[0-9]+$")]
    private static partial Regex IntegerPattern();

    [GeneratedRegex("^[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();
}
