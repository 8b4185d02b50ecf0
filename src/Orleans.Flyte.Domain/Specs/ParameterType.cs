using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

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

    /// <summary>A file kept by the platform in its artifact store; a value is an <see cref="ArtifactReference"/>.</summary>
    File,

    /// <summary>A directory kept by the platform in its artifact store; a value is an <see cref="ArtifactReference"/>.</summary>
    Directory,
}

/// <summary>
/// The type of a task or workflow input/output: <c>string</c>, <c>int</c>, <c>float</c>, <c>bool</c>,
/// <c>datetime</c> (ISO 8601), <c>duration</c>, <c>json</c> (anything), <c>list&lt;T&gt;</c>, <c>map&lt;T&gt;</c> (string keys),
/// <c>file</c> and <c>directory</c>, optionally with an artifact format (<c>file&lt;onnx&gt;</c>, <c>directory&lt;parquet&gt;</c>).
/// </summary>
/// <param name="Format">For <c>file</c> and <c>directory</c>: one of <see cref="ArtifactFormats.Known"/>, or null for any.</param>
public sealed partial record ParameterType(ParameterKind Kind, ParameterType? Element = null, string? Format = null)
{
    public const string Grammar = "string, int, float, bool, datetime, duration, json, list<T>, map<T>, file, directory, file<format> or directory<format>";

    /// <summary>Whether <paramref name="text"/> is written as <c>file&lt;F&gt;</c> or <c>directory&lt;F&gt;</c> with an
    /// <paramref name="format"/> that is not one of <see cref="ArtifactFormats.Known"/>; for a precise error.</summary>
    public static bool IsUnknownArtifactFormat(string? text, [NotNullWhen(true)] out string? format)
    {
        format = null;
        var t = text?.Trim() ?? string.Empty;
        foreach (var prefix in (string[])["file<", "directory<", "list<", "map<"])
        {
            if (t.StartsWith(prefix, StringComparison.Ordinal) && t.EndsWith('>'))
            {
                var inner = t[prefix.Length..^1].Trim();
                if (prefix is "list<" or "map<")
                {
                    return IsUnknownArtifactFormat(inner, out format);
                }

                format = inner;
                return !ArtifactFormats.IsKnown(inner);
            }
        }

        return false;
    }

    public static bool TryParse(string? text, [NotNullWhen(true)] out ParameterType? type)
    {
        type = null;
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

        foreach (var (prefix, artifact) in (ReadOnlySpan<(string, ParameterKind)>)[("file<", ParameterKind.File), ("directory<", ParameterKind.Directory)])
        {
            if (t.StartsWith(prefix, StringComparison.Ordinal) && t.EndsWith('>'))
            {
                var format = t[prefix.Length..^1].Trim();
                if (!ArtifactFormats.IsKnown(format))
                {
                    return false;
                }

                type = new ParameterType(artifact, Format: format);
                return true;
            }
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
            "file" => ParameterKind.File,
            "directory" or "dir" => ParameterKind.Directory,
            _ => null,
        };
        if (kind is null)
        {
            return false;
        }

        type = new ParameterType(kind.Value);
        return true;
    }

    public bool IsScalar => Kind is not (ParameterKind.List or ParameterKind.Map or ParameterKind.Json or ParameterKind.File or ParameterKind.Directory);

    /// <summary>A <c>file</c> or <c>directory</c>: its values live in the artifact store and reach a task as a path.</summary>
    public bool IsArtifact => Kind is ParameterKind.File or ParameterKind.Directory;

    /// <summary>A <c>list&lt;file&gt;</c> or <c>list&lt;directory&gt;</c>: each element is placed and collected like a
    /// top-level artifact, in element order.</summary>
    public bool IsArtifactList => Kind == ParameterKind.List && Element is { IsArtifact: true };

    /// <summary>Whether a runner places (input) or collects (output) values of this type through the artifact store.</summary>
    public bool CarriesArtifacts => IsArtifact || IsArtifactList;

    /// <summary>Whether a <c>file</c> or <c>directory</c> sits somewhere no runner places or collects it: in a map, a
    /// list of lists, or deeper. Registration refuses such a type.</summary>
    public bool NestsArtifactsTooDeep => !CarriesArtifacts && ContainsArtifact;

    private bool ContainsArtifact => IsArtifact || (Element?.ContainsArtifact ?? false);

    /// <summary>Whether a value of <paramref name="source"/> may be bound to a parameter of this type.</summary>
    public bool IsAssignableFrom(ParameterType source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (Kind == ParameterKind.Json || (Kind == ParameterKind.Float && source.Kind == ParameterKind.Int))
        {
            return true;
        }

        if (IsArtifact)
        {
            // A file<onnx> input takes only file<onnx>; a plain file input takes a file of any format.
            return Kind == source.Kind && (Format is null || string.Equals(Format, source.Format, StringComparison.Ordinal));
        }

        return Kind == source.Kind && (Element is null || (source.Element is { } element && Element.IsAssignableFrom(element)));
    }

    /// <summary>Whether a literal value is of this type; <paramref name="reason"/> says why not, naming the value.</summary>
    public bool Accepts(JsonNode? literal, out string reason)
    {
        reason = Reject(literal, string.Empty) ?? string.Empty;
        return reason.Length == 0;
    }

    private string? Reject(JsonNode? literal, string where)
    {
        switch (Kind)
        {
            case ParameterKind.List when literal is JsonArray array && Element is { } item:
                for (var i = 0; i < array.Count; i++)
                {
                    if (item.Reject(array[i], $"{where}[{i}]") is { } inner)
                    {
                        return inner;
                    }
                }

                return null;
            case ParameterKind.Map when literal is JsonObject obj && Element is { } entry:
                foreach (var (key, value) in obj)
                {
                    if (entry.Reject(value, $"{where}[\"{key}\"]") is { } inner)
                    {
                        return inner;
                    }
                }

                return null;
        }

        var ok = Kind switch
        {
            ParameterKind.Json => true,
            ParameterKind.String => IsKind(literal, JsonValueKind.String),
            ParameterKind.Bool => IsKind(literal, JsonValueKind.True) || IsKind(literal, JsonValueKind.False),
            ParameterKind.Int => IsWholeNumber(literal),
            ParameterKind.Float => IsKind(literal, JsonValueKind.Number),
            ParameterKind.Datetime => IsKind(literal, JsonValueKind.String) && IsIsoDateTime(literal.GetValue<string>()),
            ParameterKind.Duration => IsKind(literal, JsonValueKind.String) && DurationText.TryParse(literal.GetValue<string>(), out _),
            ParameterKind.File or ParameterKind.Directory => ArtifactReference.TryRead(literal, out var artifact)
                && artifact.IsDirectory == (Kind == ParameterKind.Directory),
            _ => false,
        };
        if (ok)
        {
            return null;
        }

        var hint = Kind switch
        {
            ParameterKind.Datetime => " (write ISO 8601, e.g. 2024-05-01 or 2024-05-01T02:00:00Z)",
            ParameterKind.Duration => " (write e.g. 90s, 30m, 2h, 1h30m or PT2H)",
            ParameterKind.Int when IsKind(literal, JsonValueKind.String) => " (write the number without quotes)",
            ParameterKind.File or ParameterKind.Directory => " (a reference to the artifact store: { uri, sha256, size }, as a task's output gives it)",
            _ => string.Empty,
        };
        return where.Length == 0
            ? $"{SpecDocument.Describe(literal)} is not {Article(this)}{hint}"
            : $"item {where} is {SpecDocument.Describe(literal)}, not {Article(Element ?? this)}{hint}";
    }

    internal static string Article(ParameterType type) => type.Kind is ParameterKind.Int ? $"an {type}" : $"a {type}";

    private static bool IsIsoDateTime(string text) =>
        IsoDateTime().IsMatch(text)
        && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind | DateTimeStyles.AssumeUniversal, out _);

    public override string ToString() => Kind switch
    {
        ParameterKind.List => $"list<{Element}>",
        ParameterKind.Map => $"map<{Element}>",
        ParameterKind.File or ParameterKind.Directory when Format is not null => $"{Kind.ToString().ToLowerInvariant()}<{Format}>",
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

    private static bool IsKind([NotNullWhen(true)] JsonNode? node, JsonValueKind kind) => node is JsonValue v && v.GetValueKind() == kind;

    [GeneratedRegex("^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]+)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?)?$")]
    private static partial Regex IsoDateTime();
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

        var obj = new JsonObject { ["type"] = type };
        if (Default is not null)
        {
            obj["default"] = JsonLiterals.Normalize(Default);
        }

        if (Description is not null)
        {
            obj["description"] = Description;
        }

        return obj;
    }

    // JsonNode compares by reference; compare the normalized form instead, so a spec read back from ToJson is equal.
    public bool Equals(ParameterSpec? other) =>
        other is not null && string.Equals(CanonicalJson.Serialize(ToJson()), CanonicalJson.Serialize(other.ToJson()), StringComparison.Ordinal);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(CanonicalJson.Serialize(ToJson()));
}
