using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Orleans.Flyte.Domain.Specs;

/// <summary>
/// A map node (issue 17): the node's task runs once per element of <see cref="Over"/>, each element bound to the task
/// input <see cref="Input"/>, at most <see cref="Concurrency"/> at once. The node succeeds when at least
/// <see cref="MinSuccess"/> (or the <see cref="MinSuccessRatio"/> of the elements, rounded up) succeeded; every output
/// becomes a list in element order, with null for an element that failed.
/// </summary>
public sealed record MapSpec(Binding Over, string Input, int Concurrency, int? MinSuccess, double? MinSuccessRatio)
{
    public const int DefaultConcurrency = 10;
    public const int MaxConcurrency = 1000;

    /// <summary>The most elements one map node runs; a longer list fails the node when it becomes ready.</summary>
    public const int MaxElements = 10_000;

    public JsonObject ToJson()
    {
        var obj = new JsonObject { ["over"] = Over.ToJson(), ["input"] = Input };
        if (Concurrency != DefaultConcurrency)
        {
            obj["concurrency"] = Concurrency;
        }

        if (MinSuccess is { } count)
        {
            obj["min_success"] = count;
        }

        if (MinSuccessRatio is { } ratio)
        {
            obj["min_success_ratio"] = ratio;
        }

        return obj;
    }

    internal static MapSpec? Read(FieldReader node, HashSet<string> nodeIds, IReadOnlyDictionary<string, ParameterSpec> inputs)
    {
        if (node.Object("map") is not { } obj)
        {
            return null;
        }

        var errors = node.Errors.Count;
        var map = new FieldReader(obj, node.At("map"), node.Errors, "over", "input", "concurrency", "min_success", "min_success_ratio");
        Binding? over = null;
        if (!map.Has("over"))
        {
            map.Error("over", "'over' is required: the list to map over, e.g. over: \"{{ inputs.dates }}\"");
        }
        else if (!Binding.TryParse(map.Node("over"), out over, out var bindingError))
        {
            map.Error("over", bindingError);
        }
        else if (over.IsTemplate)
        {
            map.Error("over", "a map node maps over a list: bind one list-typed input or output (\"{{ inputs.dates }}\") or write a list; text with bindings inside is a string");
            over = null;
        }
        else if (over.IsLiteral && map.Node("over") is not JsonArray)
        {
            map.Error("over", $"a map node maps over a list, not {SpecDocument.Describe(map.Node("over"))}");
            over = null;
        }
        else
        {
            foreach (var reference in over.References)
            {
                if (reference.Source == BindingSource.Input && !inputs.ContainsKey(reference.Name))
                {
                    map.Error("over", $"'{{{{ {reference} }}}}' refers to workflow input '{reference.Name}', which is not declared; declared inputs: {WorkflowSpecReader.List(inputs.Keys)}");
                }
                else if (reference.Source == BindingSource.NodeOutput && !nodeIds.Contains(reference.NodeId!))
                {
                    map.Error("over", $"'{{{{ {reference} }}}}' refers to node '{reference.NodeId}', which is not a node of this workflow; nodes: {WorkflowSpecReader.List(nodeIds)}");
                }
            }
        }

        var input = map.String("input", required: true, example: "input: date");
        if (input is not null && Names.ParameterNameError(input) is { } nameError)
        {
            map.Error("input", nameError);
        }

        var concurrency = map.Int("concurrency", 1, MaxConcurrency) ?? DefaultConcurrency;
        var minSuccess = map.Int("min_success", 0, MaxElements);
        double? ratio = null;
        if (map.Node("min_success_ratio") is { } ratioNode)
        {
            if (ratioNode is JsonValue v && v.GetValueKind() == JsonValueKind.Number
                && double.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var r) && r is >= 0 and <= 1)
            {
                ratio = r;
            }
            else
            {
                map.Error("min_success_ratio", $"'min_success_ratio' must be a number from 0 to 1 (e.g. 0.9), not {SpecDocument.Describe(ratioNode)}");
            }
        }

        if (minSuccess is not null && ratio is not null)
        {
            map.Error("min_success_ratio", "give either min_success (a count) or min_success_ratio (a share of the elements), not both");
        }

        return node.Errors.Count == errors && over is not null && input is not null
            ? new MapSpec(over, input, concurrency, minSuccess, ratio)
            : null;
    }
}
