using System.Text.Json.Nodes;

namespace Orleans.Flyte.Domain.Executions;

/// <summary>
/// What bindings read during one step: the workflow inputs and the outputs of the nodes that succeeded, parsed once
/// per step rather than once per binding.
/// </summary>
public sealed class BindingValues
{
    private readonly JsonObject _inputs;
    private readonly Dictionary<string, JsonObject> _outputs;

    private BindingValues(JsonObject inputs, Dictionary<string, JsonObject> outputs)
    {
        _inputs = inputs;
        _outputs = outputs;
    }

    public static BindingValues Of(WorkflowExecutionState state) => new(
        JsonNode.Parse(state.Submission?.InputsJson ?? "{}")?.AsObject() ?? [],
        state.Nodes.Values
            .Where(n => n.Phase == TaskPhase.Succeeded && n.OutputsJson is not null)
            .ToDictionary(n => n.NodeId, n => ParseObject(n.OutputsJson), StringComparer.Ordinal));

    /// <summary>A node succeeded during this step: later bindings in the same step read its outputs.</summary>
    public void Succeeded(string nodeId, string outputsJson) => _outputs[nodeId] = ParseObject(outputsJson);

    /// <summary>Evaluates bindings (a node's inputs, or the workflow's outputs) as a JSON object of name → value.</summary>
    public JsonObject Resolve(IReadOnlyDictionary<string, string> bindings)
    {
        var resolved = new JsonObject();
        foreach (var (name, binding) in bindings)
        {
            resolved[name] = BindingEvaluator.Evaluate(binding, _inputs, _outputs);
        }

        return resolved;
    }

    /// <summary>The value one reference reads (a branch condition's operand).</summary>
    public JsonNode? Value(Specs.BindingReference reference) => reference.Source == Specs.BindingSource.Input
        ? _inputs[reference.Name]
        : _outputs.TryGetValue(reference.NodeId!, out var outputs) ? outputs[reference.Name] : null;

    /// <summary>Evaluates one binding (a map node's list).</summary>
    public JsonNode? ResolveOne(string binding) => BindingEvaluator.Evaluate(binding, _inputs, _outputs);

    private static JsonObject ParseObject(string? json) => JsonNode.Parse(json ?? "{}")?.AsObject() ?? [];
}
