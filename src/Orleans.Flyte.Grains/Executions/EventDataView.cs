using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Orleans.Flyte.Domain.EventSourcing;

namespace Orleans.Flyte.Grains.Executions;

/// <summary>
/// An event's fields as a reader wants them: events store inputs, outputs and specs as canonical JSON text (so the hash
/// chain and old versions never depend on today's model), which would show as double-encoded strings. Here such text is
/// parsed back into JSON, a <c>...Json</c> field loses its suffix (<c>inputsJson</c> → <c>inputs</c>), enums are names,
/// and the metadata (shown beside the data) is left out.
/// </summary>
public static class EventDataView
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public static JsonObject? Of(DomainEvent data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (JsonSerializer.SerializeToNode(data, data.GetType(), s_json) is not JsonObject body)
        {
            return null;
        }

        body.Remove("meta");
        return (JsonObject)Expand(body);
    }

    private static JsonNode Expand(JsonNode node)
    {
        switch (node)
        {
            case JsonObject obj:
                var expanded = new JsonObject();
                foreach (var (key, value) in obj.ToList())
                {
                    obj.Remove(key);
                    var shown = value is null ? null : Expand(value);
                    var name = key.Length > 4 && key.EndsWith("Json", StringComparison.Ordinal) && shown is JsonObject or JsonArray ? key[..^4] : key;
                    expanded[obj.ContainsKey(name) || expanded.ContainsKey(name) ? key : name] = shown;
                }

                return expanded;
            case JsonArray array:
                var items = array.ToList();
                array.Clear();
                return new JsonArray([.. items.Select(i => i is null ? null : Expand(i))]);
            case JsonValue value when value.TryGetValue<string>(out var text) && LooksLikeJson(text):
                try
                {
                    return JsonNode.Parse(text) is { } parsed ? Expand(parsed) : node;
                }
                catch (JsonException)
                {
                    return node;
                }

            default:
                return node;
        }
    }

    private static bool LooksLikeJson(string text)
    {
        var trimmed = text.AsSpan().Trim();
        return trimmed.Length >= 2 && ((trimmed[0] == '{' && trimmed[^1] == '}') || (trimmed[0] == '[' && trimmed[^1] == ']'));
    }
}
