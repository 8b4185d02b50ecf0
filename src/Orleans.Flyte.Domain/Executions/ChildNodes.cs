using System.Text.Json.Nodes;

namespace Orleans.Flyte.Domain.Executions;

/// <summary>
/// Sub-workflow and launch-plan nodes (issue 17). To the step decider such a node is a task node: when ready its inputs
/// are resolved and stored in <see cref="NodeReady"/>, then it is started; it settles when its work reports an end, and
/// a recover pass asks where it stands. The work is a child execution instead of a task grain (the grain creates it,
/// idempotently, under an id derived from this execution and node), so these are the few facts that differ.
/// </summary>
public static class ChildNodes
{
    /// <summary>What the child is created with: its base inputs (defaults, a launch plan's fixed ones) with the node's
    /// resolved bindings laid over them.</summary>
    public static string Inputs(ChildPlan child, string nodeInputsJson)
    {
        ArgumentNullException.ThrowIfNull(child);
        var inputs = JsonNode.Parse(child.BaseInputsJson)?.AsObject() ?? [];
        foreach (var (name, value) in JsonNode.Parse(nodeInputsJson)?.AsObject() ?? [])
        {
            inputs[name] = value?.DeepClone();
        }

        return inputs.ToJsonString();
    }

    /// <summary>
    /// A recover's outputs for the nodes inside the child of <paramref name="nodeId"/>: recover keeps a failed child's
    /// succeeded nodes under <c>node/inner</c> (and deeper, <c>node/inner/…</c>), so the child, created as a recover of
    /// the source's child, does not run them again.
    /// </summary>
    public static IReadOnlyDictionary<string, string> RecoveredFor(ExecutionAccepted parent, string nodeId)
    {
        ArgumentNullException.ThrowIfNull(parent);
        var prefix = nodeId + "/";
        return parent.RecoveredOutputs.Where(r => r.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(r => r.Key[prefix.Length..], r => r.Value, StringComparer.Ordinal);
    }

    /// <summary>A child's phase as its node's outcome: a terminal phase ends the node, anything else means it runs.</summary>
    public static TaskPhase NodePhase(WorkflowPhase child) => child switch
    {
        WorkflowPhase.Succeeded => TaskPhase.Succeeded,
        WorkflowPhase.Failed => TaskPhase.Failed,
        WorkflowPhase.Aborted => TaskPhase.Aborted,
        WorkflowPhase.TimedOut => TaskPhase.TimedOut,
        _ => TaskPhase.Running,
    };
}
