using System.Text.Json.Nodes;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Domain.Executions;

/// <summary>
/// What a branch node does when ready (issue 17): it runs no task. It tries its cases in order, takes the first whose
/// condition holds (or the <c>else</c>), succeeds at once with <c>{"taken": node}</c> (null when no case held), and skips
/// the nodes the other cases name as not taken; the DAG walk then skips what depends on them the same way. The taken node
/// waits for the branch like any upstream node, so it becomes ready in the same step.
/// </summary>
internal static class BranchNodes
{
    public static void Ready(WorkflowDraft step, PlanNode node, BranchPlan branch, BindingValues values)
    {
        step.Raise(new NodeReady(node.Id, "{}"));
        string? taken;
        try
        {
            taken = branch.Cases.FirstOrDefault(c => c.Condition is null || Parse(c.Condition).Evaluate(values.Value))?.Then;
        }
        catch (Exception ex) when (ex is FormatException or InvalidOperationException or OverflowException)
        {
            NodeDecisions.Fail(step, node.Id, TaskPhase.Failed, $"a condition could not be evaluated: {ex.Message}", failFast: true);
            return;
        }

        var outputs = new JsonObject { ["taken"] = taken }.ToJsonString();
        step.Raise(new NodeSucceeded(node.Id, outputs, false, null));
        values.Succeeded(node.Id, outputs);
        SkipNotTaken(step, node, branch, taken);
    }

    /// <summary>A recover reused the branch's outputs: skip again what it did not take.</summary>
    public static void Reused(WorkflowDraft step, PlanNode node, BranchPlan branch, string outputsJson)
    {
        var taken = (JsonNode.Parse(outputsJson) as JsonObject)?["taken"]?.GetValue<string>();
        SkipNotTaken(step, node, branch, taken);
    }

    private static void SkipNotTaken(WorkflowDraft step, PlanNode node, BranchPlan branch, string? taken)
    {
        foreach (var target in branch.Cases.Select(c => c.Then).Where(t => t != taken && step.State.Nodes[t].Phase == TaskPhase.NotReady))
        {
            step.Raise(new NodeSkipped(target, taken is null ? $"branch '{node.Id}': no case held" : $"branch '{node.Id}' took '{taken}'", node.Id));
        }
    }

    private static Condition Parse(string text) => Condition.TryParse(text, out var condition, out var error)
        ? condition!
        : throw new InvalidOperationException($"A stored condition is not valid: {error}");
}
