using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Orleans.Flyte.Cli.Views;

/// <summary>Reading the API's JSON answers: the CLI shares no types with the server, only the documented shapes.</summary>
public static class JsonFields
{
    private static readonly JsonSerializerOptions s_compact = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string? Str(this JsonNode? node, string key) => node?[key] switch
    {
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        JsonValue value => value.ToJsonString(),
        _ => null,
    };

    public static long? Long(this JsonNode? node, string key) =>
        node?[key] is JsonValue value && value.TryGetValue<long>(out var number) ? number : null;

    public static bool Bool(this JsonNode? node, string key) =>
        node?[key] is JsonValue value && value.TryGetValue<bool>(out var flag) && flag;

    public static DateTimeOffset? Time(this JsonNode? node, string key) =>
        node.Str(key) is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null;

    public static IReadOnlyList<JsonNode> Items(this JsonNode? node, string key) =>
        node?[key] is JsonArray array ? [.. array.OfType<JsonNode>()] : [];

    /// <summary>Instants in UTC to the second, one fixed width: columns stay aligned and output stays comparable.</summary>
    public static string When(DateTimeOffset? at) =>
        at is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "-";

    public static string Duration(TimeSpan span)
    {
        if (span < TimeSpan.Zero)
        {
            span = TimeSpan.Zero;
        }

        return span.TotalSeconds switch
        {
            < 60 => string.Create(CultureInfo.InvariantCulture, $"{Math.Floor(span.TotalSeconds * 10) / 10:0.0}s"),
            < 3600 => string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalMinutes}m{span.Seconds:00}s"),
            _ => string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalHours}h{span.Minutes:00}m"),
        };
    }

    /// <summary>From start (or creation) to finish, or to now while it runs; "-" before it started.</summary>
    public static string Elapsed(DateTimeOffset? start, DateTimeOffset? finish, DateTimeOffset now) =>
        start is { } s ? Duration((finish ?? now) - s) : "-";

    public static string Compact(JsonNode? value) => value is null ? "null" : value.ToJsonString(s_compact);

    /// <summary><c>name: value</c> lines of a JSON object (inputs, outputs), values as compact JSON.</summary>
    public static IReadOnlyList<string> Assignments(JsonNode? values) =>
        values is JsonObject obj ? [.. obj.Select(p => $"{p.Key}: {Compact(p.Value)}")] : [];
}
