using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Abstractions.Submissions;

/// <summary>What a sub-workflow or launch-plan node runs, resolved: the pinned reference (stored with the workflow version,
/// keyed <see cref="PinKey"/>), the interface its bindings are checked against, and the child plan an execution carries.</summary>
public sealed record ResolvedChild(string Pinned, WorkflowInterface Interface, ChildPlan Plan)
{
    /// <summary>
    /// Where a workflow version keeps the pin of a child reference: in the same map as its task pins (task names are DNS
    /// labels and never contain ':'), as <c>workflow:{reference as written}</c> or <c>launchplan:{reference as written}</c>.
    /// </summary>
    public static string PinKey(NodeSpec node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return node.Workflow is { } workflow
            ? $"{ChildPlan.SubWorkflow}:{workflow}"
            : $"{ChildPlan.LaunchPlanKind}:{node.LaunchPlan ?? throw new ArgumentException($"Node '{node.Id}' runs no child execution.", nameof(node))}";
    }

    /// <summary>Whether a pin map key is a child's (not a task's).</summary>
    public static bool IsChildPin(string key) => key.Contains(':', StringComparison.Ordinal);
}
