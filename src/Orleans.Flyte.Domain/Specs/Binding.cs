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
public sealed partial class Binding
{
    private readonly JsonNode? _value;

    private Binding(JsonNode? value, IReadOnlyList<BindingReference> references, bool isWholeReference)
    {
        _value = value;
        References = references;
        IsWholeReference = isWholeReference;
    }

    public IReadOnlyList<BindingReference> References { get; }

    /// <summary>The whole value is exactly one reference: the bound value has the referenced value's type.</summary>
    public bool IsWholeReference { get; }

    public bool IsTemplate => References.Count > 0 && !IsWholeReference;

    public bool IsLiteral => References.Count == 0;

    /// <summary>The literal value (for literals only).</summary>
    public JsonNode? Literal => IsLiteral ? _value?.DeepClone() : null;

    public static bool TryParse(JsonNode? value, out Binding binding, out string error)
    {
        binding = null!;
        error = string.Empty;
        if (value is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
        {
            binding = new Binding(value?.DeepClone(), [], false);
            return true;
        }

        var text = v.GetValue<string>();
        var references = new List<BindingReference>();
        var whole = false;
        var position = 0;
        while (true)
        {
            var open = text.IndexOf("{{", position, StringComparison.Ordinal);
            var strayClose = text.IndexOf("}}", position, StringComparison.Ordinal);
            if (open < 0)
            {
                if (strayClose >= 0)
                {
                    error = $"'{SpecDocument.Truncate(text)}' has '}}}}' without a matching '{{{{'";
                    return false;
                }

                break;
            }

            var close = text.IndexOf("}}", open + 2, StringComparison.Ordinal);
            if (close < 0)
            {
                error = $"'{SpecDocument.Truncate(text)}' opens '{{{{' without closing it with '}}}}'";
                return false;
            }

            var expression = text[(open + 2)..close].Trim();
            var match = Reference().Match(expression);
            if (!match.Success)
            {
                error = $"'{{{{ {SpecDocument.Truncate(expression)} }}}}' is not a binding; write '{{{{ inputs.<name> }}}}' or '{{{{ nodes.<node-id>.outputs.<name> }}}}'";
                return false;
            }

            references.Add(match.Groups["input"].Success
                ? new BindingReference(BindingSource.Input, null, match.Groups["input"].Value)
                : new BindingReference(BindingSource.NodeOutput, match.Groups["node"].Value, match.Groups["output"].Value));
            whole = open == 0 && close + 2 == text.Length && references.Count == 1;
            position = close + 2;
        }

        whole = whole && references.Count == 1 && text.TrimStart().StartsWith("{{", StringComparison.Ordinal);
        binding = new Binding(JsonValue.Create(text), references, whole);
        return true;
    }

    /// <summary>The binding as written (literal value or the template text): its normalized stored form.</summary>
    public JsonNode? ToJson() => _value?.DeepClone();

    /// <summary>The bound value, given the value of each reference.</summary>
    public JsonNode? Evaluate(Func<BindingReference, JsonNode?> resolve)
    {
        if (IsLiteral)
        {
            return _value?.DeepClone();
        }

        if (IsWholeReference)
        {
            return resolve(References[0])?.DeepClone();
        }

        var text = _value!.GetValue<string>();
        var result = new StringBuilder();
        var position = 0;
        var index = 0;
        while (true)
        {
            var open = text.IndexOf("{{", position, StringComparison.Ordinal);
            if (open < 0)
            {
                result.Append(text, position, text.Length - position);
                break;
            }

            var close = text.IndexOf("}}", open + 2, StringComparison.Ordinal);
            result.Append(text, position, open - position);
            var value = resolve(References[index++]);
            result.Append(value is JsonValue s && s.GetValueKind() == JsonValueKind.String ? s.GetValue<string>() : value?.ToJsonString() ?? string.Empty);
            position = close + 2;
        }

        return JsonValue.Create(result.ToString());
    }

    [GeneratedRegex("^(?:inputs\\.(?<input>[a-z_][a-z0-9_]*)|nodes\\.(?<node>[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)\\.outputs\\.(?<output>[a-z_][a-z0-9_]*))$")]
    private static partial Regex Reference();
}
