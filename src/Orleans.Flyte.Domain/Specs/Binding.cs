using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Orleans.Flyte.Domain.Specs;

public enum BindingSource
{
    /// <summary><c>{{ inputs.name }}</c>: a workflow input.</summary>
    Input,

    /// <summary><c>{{ nodes.id.outputs.name }}</c>: an output of an upstream node.</summary>
    NodeOutput,
}

public sealed record BindingReference(BindingSource Source, string? NodeId, string Name)
{
    public override string ToString() => Source == BindingSource.Input ? $"inputs.{Name}" : $"nodes.{NodeId}.outputs.{Name}";
}

/// <summary>
/// A value bound to an input or output: a literal (<c>10</c>, <c>"abc"</c>, a list or mapping), a single
/// reference (<c>"{{ inputs.epochs }}"</c>, which keeps the referenced value's type), or a text template mixing text and
/// references (<c>"s3://bucket/{{ inputs.date }}/x"</c>, whose result is a string).
/// </summary>
public sealed partial class Binding : IEquatable<Binding>
{
    private readonly JsonNode? _literal;
    private readonly IReadOnlyList<Segment> _segments;

    private Binding(JsonNode? literal, IReadOnlyList<Segment> segments)
    {
        _literal = literal;
        _segments = segments;
        References = [.. segments.Select(s => s.Reference).OfType<BindingReference>()];
        IsWholeReference = segments is [{ Reference: not null }];
    }

    public IReadOnlyList<BindingReference> References { get; }

    /// <summary>The whole value is exactly one reference: the bound value has the referenced value's type.</summary>
    public bool IsWholeReference { get; }

    public bool IsTemplate => References.Count > 0 && !IsWholeReference;

    public bool IsLiteral => References.Count == 0;

    /// <summary>The literal value (for literals only).</summary>
    public JsonNode? Literal => IsLiteral ? _literal?.DeepClone() : null;

    /// <summary>A literal binding of <paramref name="value"/> (text is taken as is, never as a template).</summary>
    public static Binding FromLiteral(JsonNode? value) =>
        new(value?.DeepClone(), value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? [new Segment(v.GetValue<string>(), null)] : []);

    public static bool TryParse(JsonNode? value, [NotNullWhen(true)] out Binding? binding, [NotNullWhen(false)] out string? error)
    {
        binding = null;
        error = null;
        if (value is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
        {
            binding = new Binding(value?.DeepClone(), []);
            return true;
        }

        var text = v.GetValue<string>();
        var segments = new List<Segment>();
        var position = 0;
        while (true)
        {
            var open = text.IndexOf("{{", position, StringComparison.Ordinal);
            if (open < 0)
            {
                if (position < text.Length)
                {
                    segments.Add(new Segment(text[position..], null));
                }

                break;
            }

            var close = text.IndexOf("}}", open + 2, StringComparison.Ordinal);
            if (close < 0)
            {
                error = $"'{SpecDocument.Truncate(text)}' opens '{{{{' without closing it with '}}}}'; write e.g. '{{{{ inputs.date }}}}'";
                return false;
            }

            var expression = text[(open + 2)..close].Trim();
            var match = Reference().Match(expression);
            if (!match.Success)
            {
                error = $"'{{{{ {SpecDocument.Truncate(expression)} }}}}' is not a binding; write '{{{{ inputs.<name> }}}}' or '{{{{ nodes.<node-id>.outputs.<name> }}}}'";
                return false;
            }

            if (open > position)
            {
                segments.Add(new Segment(text[position..open], null));
            }

            segments.Add(new Segment(null, match.Groups["input"].Success
                ? new BindingReference(BindingSource.Input, null, match.Groups["input"].Value)
                : new BindingReference(BindingSource.NodeOutput, match.Groups["node"].Value, match.Groups["output"].Value)));
            position = close + 2;
        }

        binding = segments.Any(s => s.Reference is not null)
            ? new Binding(null, segments)
            : new Binding(JsonValue.Create(text), segments);
        return true;
    }

    /// <summary>The normalized stored form: a literal with numbers in one spelling, or the text with each reference written <c>{{ ... }}</c>.</summary>
    public JsonNode? ToJson() => IsLiteral ? JsonLiterals.Normalize(_literal) : JsonValue.Create(Text(r => $"{{{{ {r} }}}}"));

    /// <summary>The bound value, given the value of each reference.</summary>
    public JsonNode? Evaluate(Func<BindingReference, JsonNode?> resolve)
    {
        ArgumentNullException.ThrowIfNull(resolve);
        if (IsLiteral)
        {
            return _literal?.DeepClone();
        }

        if (IsWholeReference)
        {
            return resolve(References[0])?.DeepClone();
        }

        return JsonValue.Create(Text(r => resolve(r) switch
        {
            JsonValue s when s.GetValueKind() == JsonValueKind.String => s.GetValue<string>(),
            null => string.Empty,
            var other => other.ToJsonString(),
        }));
    }

    public bool Equals(Binding? other) =>
        other is not null && string.Equals(CanonicalJson.Serialize(ToJson()), CanonicalJson.Serialize(other.ToJson()), StringComparison.Ordinal);

    public override bool Equals(object? obj) => Equals(obj as Binding);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(CanonicalJson.Serialize(ToJson()));

    public override string ToString() => CanonicalJson.Serialize(ToJson());

    private string Text(Func<BindingReference, string> reference)
    {
        var result = new StringBuilder();
        foreach (var segment in _segments)
        {
            result.Append(segment.Reference is { } r ? reference(r) : segment.Text);
        }

        return result.ToString();
    }

    private sealed record Segment(string? Text, BindingReference? Reference);

    [GeneratedRegex("^(?:inputs\\.(?<input>[a-z_][a-z0-9_]*)|nodes\\.(?<node>[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)\\.outputs\\.(?<output>[a-z_][a-z0-9_]*))$")]
    private static partial Regex Reference();
}
