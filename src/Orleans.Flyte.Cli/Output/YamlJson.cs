using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization;

namespace Orleans.Flyte.Cli.Output;

/// <summary>
/// YAML to JSON and back, for spec files, input files and <c>-o yaml</c>. Plain scalars follow the YAML 1.2 core
/// schema (<c>10</c> is a number, <c>true</c> a boolean, <c>~</c> null); quoted scalars are strings.
/// </summary>
public static partial class YamlJson
{
    /// <summary>Aliases can make a small document expand enormously: stop converting after this many nodes.</summary>
    public const int MaxNodes = 100_000;

    private static readonly ISerializer s_serializer = new SerializerBuilder()
        .WithQuotingNecessaryStrings()
        .DisableAliases()
        .Build();

    /// <summary>Every document in the text, in order (empty documents are left out).</summary>
    public static IReadOnlyList<(JsonNode? Node, int Line)> ParseDocuments(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        var budget = new int[] { MaxNodes };
        return [.. stream.Documents
            .Where(d => d.RootNode is not YamlScalarNode { Style: ScalarStyle.Plain, Value: null or "" })
            .Select(d => (Convert(d.RootNode, budget), (int)d.RootNode.Start.Line))];
    }

    public static JsonNode? Parse(string text)
    {
        var documents = ParseDocuments(text);
        return documents.Count switch
        {
            0 => null,
            1 => documents[0].Node,
            _ => throw new YamlException($"expected one YAML document, found {documents.Count}"),
        };
    }

    public static string Serialize(JsonNode? node)
    {
        var text = s_serializer.Serialize(ToObject(node));
        return text.EndsWith('\n') ? text : text + "\n";
    }

    private static JsonNode? Convert(YamlNode node, int[] budget)
    {
        if (--budget[0] < 0)
        {
            throw new YamlException(node.Start, node.End, $"the document expands to more than {MaxNodes} values (aliases?)");
        }

        switch (node)
        {
            case YamlMappingNode mapping:
                var obj = new JsonObject();
                foreach (var (key, value) in mapping.Children)
                {
                    var name = (key as YamlScalarNode)?.Value ?? throw new YamlException(key.Start, key.End, "mapping keys must be plain text");
                    if (obj.ContainsKey(name))
                    {
                        throw new YamlException(key.Start, key.End, $"the key '{name}' appears twice");
                    }

                    obj[name] = Convert(value, budget);
                }

                return obj;
            case YamlSequenceNode sequence:
                var array = new JsonArray();
                foreach (var item in sequence.Children)
                {
                    array.Add(Convert(item, budget));
                }

                return array;
            case YamlScalarNode scalar:
                return Scalar(scalar);
            default:
                throw new YamlException(node.Start, node.End, $"unsupported YAML node {node.NodeType}");
        }
    }

    private static JsonValue? Scalar(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? string.Empty;
        if (scalar.Style != ScalarStyle.Plain)
        {
            return JsonValue.Create(text);
        }

        if (text is "" or "~" or "null" or "Null" or "NULL")
        {
            return null;
        }

        if (text is "true" or "True" or "TRUE")
        {
            return JsonValue.Create(true);
        }

        if (text is "false" or "False" or "FALSE")
        {
            return JsonValue.Create(false);
        }

        if (IntegerPattern().IsMatch(text) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return JsonValue.Create(integer);
        }

        if (FloatPattern().IsMatch(text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number))
        {
            return JsonValue.Create(number);
        }

        return JsonValue.Create(text);
    }

    private static object? ToObject(JsonNode? node) => node switch
    {
        null => null,
        JsonObject obj => obj.ToDictionary(p => p.Key, p => ToObject(p.Value), StringComparer.Ordinal),
        JsonArray array => array.Select(ToObject).ToList(),
        JsonValue value => value.GetValueKind() switch
        {
            System.Text.Json.JsonValueKind.String => value.GetValue<string>(),
            System.Text.Json.JsonValueKind.True => true,
            System.Text.Json.JsonValueKind.False => false,
            System.Text.Json.JsonValueKind.Number when value.TryGetValue<long>(out var l) => l,
            System.Text.Json.JsonValueKind.Number => value.GetValue<double>(),
            _ => null,
        },
        _ => null,
    };

    [GeneratedRegex("^[-+]?[0-9]+$")]
    private static partial Regex IntegerPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();
}
