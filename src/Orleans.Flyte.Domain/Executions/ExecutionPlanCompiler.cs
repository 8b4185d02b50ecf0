using System.Text.Json.Nodes;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Domain.Executions;

/// <summary>Turns a registered workflow version and its pinned tasks into the plan an execution runs.</summary>
public static class ExecutionPlanCompiler
{
    /// <param name="pins">Each task reference as written in the workflow → the exact <c>name@version</c> it was pinned to.</param>
    /// <param name="taskSpec">The canonical spec of a pinned <c>name@version</c>.</param>
    /// <param name="child">The child plan of a sub-workflow or launch-plan node, by node id.</param>
    public static ExecutionPlan Compile(
        WorkflowSpec workflow, IReadOnlyDictionary<string, string> pins, Func<string, string> taskSpec, Func<string, ChildPlan>? child = null)
    {
        var nodes = workflow.Nodes.Select(node =>
        {
            if (node.IsChild)
            {
                var plan = child?.Invoke(node.Id) ?? throw new InvalidOperationException($"Node '{node.Id}' runs a child execution whose plan was not resolved.");
                return new PlanNode(node.Id, plan.Reference, "{}",
                    node.Inputs.ToDictionary(i => i.Key, i => CanonicalJson.Serialize(i.Value.ToJson()), StringComparer.Ordinal),
                    [.. workflow.UpstreamOf(node)], Child: plan);
            }

            if (node.Branch is { } branch)
            {
                return new PlanNode(node.Id, string.Empty, "{}", new Dictionary<string, string>(), [.. workflow.UpstreamOf(node)],
                    Branch: new BranchPlan([.. branch.Cases.Select(c => new BranchPlanCase(c.Text, c.Then))]));
            }

            var task = node.Task ?? throw new InvalidOperationException($"Node '{node.Id}' runs no task and is no branch.");
            var pinned = pins.TryGetValue(task.ToString(), out var p) ? p : task.ToString();
            return new PlanNode(
                node.Id,
                pinned,
                taskSpec(pinned),
                node.Inputs.ToDictionary(i => i.Key, i => CanonicalJson.Serialize(i.Value.ToJson()), StringComparer.Ordinal),
                [.. workflow.UpstreamOf(node)],
                node.Map is { } map
                    ? new MapPlan(CanonicalJson.Serialize(map.Over.ToJson()), map.Input, map.Concurrency, map.MinSuccess, map.MinSuccessRatio)
                    : null);
        }).ToList();
        return new ExecutionPlan(
            workflow.Name,
            workflow.Version,
            workflow.FailurePolicy == FailurePolicy.FinishWhatCanFinish,
            workflow.Timeout,
            nodes,
            workflow.Outputs.ToDictionary(o => o.Key, o => CanonicalJson.Serialize(o.Value.ToJson()), StringComparer.Ordinal));
    }
}

/// <summary>Evaluates a stored binding against the workflow inputs and the outputs of finished nodes.</summary>
public static class BindingEvaluator
{
    public static JsonNode? Evaluate(string bindingJson, JsonObject inputs, IReadOnlyDictionary<string, JsonObject> nodeOutputs)
    {
        if (!Binding.TryParse(JsonNode.Parse(bindingJson), out var binding, out var error))
        {
            throw new InvalidOperationException($"A stored binding is not valid: {error}");
        }

        return binding.Evaluate(reference => reference.Source == BindingSource.Input
            ? inputs[reference.Name]
            : nodeOutputs.TryGetValue(reference.NodeId!, out var outputs) ? outputs[reference.Name] : null);
    }
}

/// <summary>Checks the inputs of a submission against the workflow interface and fills in defaults.</summary>
public static class ExecutionInputs
{
    public static SpecResult<JsonObject> Bind(WorkflowSpec workflow, JsonObject? given)
    {
        var errors = new List<SpecError>();
        var result = new JsonObject();
        given ??= [];
        foreach (var (name, value) in given)
        {
            if (!workflow.Inputs.ContainsKey(name))
            {
                errors.Add(new SpecError($"/inputs/{name}", $"workflow '{workflow.Name}@{workflow.Version}' has no input '{name}'; its inputs are: {string.Join(", ", workflow.Inputs.Keys.Order(StringComparer.Ordinal))}"));
            }
        }

        foreach (var (name, parameter) in workflow.Inputs)
        {
            var pointer = JsonPointer.Append("/inputs", name);
            if (given.TryGetPropertyValue(name, out var value) && value is not null)
            {
                if (!parameter.Type.Accepts(value, out var reason))
                {
                    errors.Add(new SpecError(pointer, $"input '{name}' must be a {parameter.Type}: {reason}"));
                }

                result[name] = value.DeepClone();
            }
            else if (parameter.Default is not null)
            {
                result[name] = parameter.Default.DeepClone();
            }
            else if (parameter.Required)
            {
                errors.Add(new SpecError(pointer, $"input '{name}' ({parameter.Type}) is required"));
            }
            else
            {
                result[name] = null;
            }
        }

        return errors.Count > 0 ? SpecResult<JsonObject>.Fail(errors) : SpecResult<JsonObject>.Ok(result);
    }
}
