using Orleans.Flyte.Abstractions.Executions;
using Orleans.Flyte.Domain.Executions;

namespace Orleans.Flyte.Grains.Executions;

/// <summary>
/// Sub-workflow and launch-plan nodes (issue 17): the node's work is a child execution, a workflow execution grain of its
/// own (own stream, own supervision) under an id derived from this execution and the node, so starting it again after a
/// crash finds the one already created. The same three calls as for a task: start (create, idempotent), resume (ask its
/// view) and abort (abort it: a cascade, as it aborts its own nodes and children before it answers). The child never
/// awaits its parent: it reports its end one-way, and a lost report is found by the parent's next recover pass.
/// </summary>
public sealed partial class WorkflowExecutionGrain
{
    private ChildPlan? ChildOf(string nodeId) =>
        State.Exists && State.Nodes.ContainsKey(nodeId) ? State.Plan.Node(nodeId).Child : null;

    private Task<CreateOutcome> StartChild(PlanNode node, ChildPlan child, string nodeInputsJson)
    {
        var submission = State.Submission ?? throw new InvalidOperationException($"Execution {Key.ExecutionId} has not been accepted.");
        var recovered = ChildNodes.RecoveredFor(submission, node.Id);
        var command = new CreateExecution(
            Key.Project, Key.Domain, child.Plan, ChildNodes.Inputs(child, nodeInputsJson), null, submission.OverwriteCache,
            null, recovered.Count > 0 && submission.RecoverOf is { } source ? ExecutionIds.Child(source, node.Id) : null, recovered,
            child.IsLaunchPlan ? child.Reference : null, null, submission.Priority)
        {
            Parent = new ExecutionParent(Key.ExecutionId, node.Id),
        };
        return ChildGrain(node.Id).Create(command);
    }

    private async Task<NodeOutcome> ResumeChild(string nodeId, ChildPlan child)
    {
        var view = await ChildGrain(nodeId).Get();
        return view is null ? new NodeOutcome(nodeId, TaskPhase.NotReady) : Outcome(nodeId, child, view);
    }

    private async Task<NodeOutcome> AbortChild(string nodeId, ChildPlan child, string reason)
    {
        var grain = ChildGrain(nodeId);

        // Never created (a crash between NodeReady and the create): nothing runs, so the node is simply aborted.
        return await grain.Get() is null
            ? new NodeOutcome(nodeId, TaskPhase.Aborted, Error: reason)
            : Outcome(nodeId, child, await grain.Abort($"parent execution {Key.ExecutionId} stopped: {reason}"));
    }

    private static NodeOutcome Outcome(string nodeId, ChildPlan child, ExecutionView view)
    {
        var phase = ChildNodes.NodePhase(view.Phase);
        return new NodeOutcome(nodeId, phase, phase == TaskPhase.Succeeded ? view.OutputsJson ?? "{}" : null,
            phase is TaskPhase.Failed or TaskPhase.Aborted or TaskPhase.TimedOut ? ChildEnded(child.IsLaunchPlan, view.ExecutionId, view.Phase, view.Error) : null);
    }

    /// <summary>The node's error when its child execution did not succeed.</summary>
    private static string ChildEnded(bool launched, string executionId, WorkflowPhase phase, string? error) =>
        $"{(launched ? "launched execution" : "sub-workflow execution")} {executionId} {phase.ToString().ToLowerInvariant()}: {error}";

    /// <summary>This execution is a child and has just ended: tell its parent's node (one-way, so never a deadlock).</summary>
    private void ReportToParent()
    {
        if (State.Submission?.Parent is not { } parent)
        {
            return;
        }

        var phase = ChildNodes.NodePhase(State.Phase);
        var error = phase == TaskPhase.Succeeded ? null : ChildEnded(State.Submission.LaunchPlan is not null, Key.ExecutionId, State.Phase, State.Error);
        _ = GrainFactory.GetGrain<IWorkflowExecutionGrain>(ExecutionKeys.Workflow(Key.Project, Key.Domain, parent.ExecutionId))
            .OnNodeCompleted(new NodeCompletion(parent.NodeId, phase, phase == TaskPhase.Succeeded ? State.OutputsJson ?? "{}" : null, error, false));
    }

    private IWorkflowExecutionGrain ChildGrain(string nodeId) =>
        GrainFactory.GetGrain<IWorkflowExecutionGrain>(ExecutionKeys.Workflow(Key.Project, Key.Domain, ExecutionIds.Child(Key.ExecutionId, nodeId)));
}
