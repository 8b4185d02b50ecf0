using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Orleans.Flyte.Domain.Specs;

public enum ParameterKind
{
    String,
    Int,
    Float,
    Bool,
    Datetime,
    Duration,
    Json,
    List,
    Map,
}

/// <summary>
/// The type of a task or workflow input/output: <c>string</c>, <c>int</c>, <c>float</c>, <c>bool</c>,
/// <c>datetime</c> (ISO 8601), <c>duration</c>, <c>json</c> (anything), <c>list&lt;T&gt;</c>, <c>map&lt;T&gt;</c> (string keys).
/// </summary>
public sealed record ParameterType(ParameterKind Kind, ParameterType? Element = null)
{
    public const string Grammar = "string, int, float, bool, datetime, duration, json, list<T> or map<T>";

    public static bool TryParse(string? text, out ParameterType type)
    {
        type = null!;
        var t = text?.Trim() ?? string.Empty;
        if (t.StartsWith("list<", StringComparison.Ordinal) && t.EndsWith('>'))
        {
            if (!TryParse(t[5..^1], out var element))
            {
                return false;
            }

            type = new ParameterType(ParameterKind.List, element);
            return true;
        }

        if (t.StartsWith("map<", StringComparison.Ordinal) && t.EndsWith('>'))
        {
            if (!TryParse(t[4..^1], out var element))
            {
                return false;
            }

            type = new ParameterType(ParameterKind.Map, element);
            return true;
        }

        ParameterKind? kind = t switch
        {
            "string" or "str" => ParameterKind.String,
            "int" or "integer" => ParameterKind.Int,
            "float" or "number" => ParameterKind.Float,
            "bool" or "boolean" => ParameterKind.Bool,
            "datetime" => ParameterKind.Datetime,
            "duration" => ParameterKind.Duration,
            "json" or "any" => ParameterKind.Json,
            _ => null,
        };
        if (kind is null)
        {
            return false;
        }

        type = new ParameterType(kind.Value);
        return true;
    }

    public bool IsScalar => Kind is not (ParameterKind.List or ParameterKind.Map or ParameterKind.Json);

    /// <summary>Whether a value of <paramref name="source"/> may be bound to a parameter of this type.</summary>
    public bool IsAssignableFrom(ParameterType source) =>
        Kind == ParameterKind.Json
        || (Kind == source.Kind && (Element is null || Element.IsAssignableFrom(source.Element!)))
        || (Kind == ParameterKind.Float && source.Kind == ParameterKind.Int);

    /// <summary>Whether a literal value is of this type; <paramref name="reason"/> says why not.</summary>
    public bool Accepts(JsonNode? literal, out string reason)
    {
        reason = string.Empty;
        var ok = Kind switch
        {
            ParameterKind.Json => true,
            ParameterKind.String => IsKind(literal, JsonValueKind.String),
            ParameterKind.Bool => IsKind(literal, JsonValueKind.True) || IsKind(literal, JsonValueKind.False),
            ParameterKind.Int => IsWholeNumber(literal),
            ParameterKind.Float => IsKind(literal, JsonValueKind.Number),
            ParameterKind.Datetime => literal is JsonValue s && s.TryGetValue<string>(out var text)
                && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out _),
            ParameterKind.Duration => literal is JsonValue s && s.TryGetValue<string>(out var text) && DurationText.TryParse(text, out _),
            ParameterKind.List => literal is JsonArray array && array.All(item => Element!.Accepts(item, out _)),
            ParameterKind.Map => literal is JsonObject obj && obj.All(p => Element!.Accepts(p.Value, out _)),
            _ => false,
        };
        if (!ok)
        {
            reason = $"{SpecDocument.Describe(literal)} is not a {this}";
        }

        return ok;
    }

    public override string ToString() => Kind switch
    {
        ParameterKind.List => $"list<{Element}>",
        ParameterKind.Map => $"map<{Element}>",
        _ => Kind.ToString().ToLowerInvariant(),
    };

    private static bool IsWholeNumber(JsonNode? node)
    {
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.Number)
        {
            return false;
        }

        if (v.TryGetValue<long>(out _) || v.TryGetValue<int>(out _))
        {
            return true;
        }

        return decimal.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d == decimal.Truncate(d);
    }

    private static bool IsKind(JsonNode? node, JsonValueKind kind) => node is JsonValue v && v.GetValueKind() == kind;
}

/// <summary>One input or output of a task or workflow interface.</summary>
/// <param name="Optional">May be left unbound (written <c>int?</c>, or given a default).</param>
public sealed record ParameterSpec(ParameterType Type, bool Optional, JsonNode? Default, string? Description)
{
    public bool Required => !Optional && Default is null;

    /// <summary>Short form (<c>int</c>, <c>int?</c>) when nothing else is set, long form otherwise.</summary>
    public JsonNode ToJson()
    {
        var type = Type + (Optional && Default is null ? "?" : string.Empty);
        if (Default is null && Description is null)
        {
            return JsonValue.Create(type);
        }

        var obj = new JsonObject { ["type"] = Type.ToString() };
        if (Optional && Default is null)
        {
            obj["optional"] = true;
        }

        if (Default is not null)
        {
            obj["default"] = Default.DeepClone();
        }

        if (Description is not null)
        {
            obj["description"] = Description;
        }

        return obj;
    }
}
