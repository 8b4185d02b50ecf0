namespace Orleans.Flyte.Domain.Executions;

/// <summary>
/// The DAG walk of one step: every node not yet started becomes ready once its upstream nodes have succeeded, or is
/// skipped once one of them can no longer succeed. What a ready node then does depends on its kind
/// (<see cref="NodeDecisions.Ready"/>), not on the walk.
/// </summary>
internal static class WorkflowDag
{
    public static void Walk(WorkflowDraft step)
    {
        var state = step.State;
        var values = BindingValues.Of(state);

        // A node settled in this step (a skip, or outputs reused by a recover) can unblock or skip nodes before it in
        // plan order, so walk again until a pass changes nothing. Each pass that changes something moves at least one
        // node out of NotReady, so there are at most (nodes + 1) passes.
        bool progressed;
        do
        {
            progressed = false;
            foreach (var node in state.Plan.Nodes.Where(n => state.Nodes[n.Id].Phase == TaskPhase.NotReady))
            {
                if (state.Phase != WorkflowPhase.Running)
                {
                    return; // a node failed when it became ready (a map over a non-list) and fail-fast stops the rest
                }

                var blocked = Blocked(state, node, out var reason, out var notTakenBy);
                if (blocked)
                {
                    step.Raise(new NodeSkipped(node.Id, reason, notTakenBy));
                }
                else if (node.Upstream.All(u => state.Nodes[u].Phase == TaskPhase.Succeeded))
                {
                    NodeDecisions.Ready(step, node, values);
                }
                else
                {
                    continue; // waiting for upstream nodes still queued or running
                }

                progressed = true;
            }
        }
        while (progressed);
    }

    /// <summary>Whether an upstream node ended without success (or stopped in some other way), so this node can never run.
    /// <paramref name="notTakenBy"/>: every such upstream node was not taken by a branch, so neither is this one.</summary>
    private static bool Blocked(WorkflowExecutionState state, PlanNode node, out string reason, out string? notTakenBy)
    {
        var upstream = node.Upstream.Select(u => state.Nodes[u]).ToList();
        notTakenBy = null;
        if (upstream.All(u => u.Phase is TaskPhase.Succeeded or TaskPhase.NotReady or TaskPhase.Queued))
        {
            reason = string.Empty;
            return false;
        }

        var ended = upstream.Where(u => u.Phase.IsTerminal() && u.Phase != TaskPhase.Succeeded).ToList();
        if (ended.Count > 0 && ended.All(u => u.NotTakenBy is not null))
        {
            notTakenBy = ended[0].NotTakenBy;
            reason = $"upstream node '{ended[0].NodeId}' was not taken by branch '{notTakenBy}'";
            return true;
        }

        var cause = ended.FirstOrDefault(u => u.NotTakenBy is null) ?? ended.FirstOrDefault();
        reason = cause is null
            ? "the execution is failing"
            : $"upstream node '{cause.NodeId}' did not succeed ({cause.Phase})";
        return true;
    }
}

/// <summary>
/// What a node does when it becomes ready and when its work ends. A task node runs one task; a map node runs its task
/// per element (<see cref="MapNodes"/>) and settles when its elements have. The DAG walk and the step around them do
/// not depend on the node's kind.
/// </summary>
internal static class NodeDecisions
{
    /// <summary>Upstream succeeded: resolve the inputs and run the task (or, for a map node, its first elements), or
    /// reuse the outputs a recover carried over.</summary>
    public static void Ready(WorkflowDraft step, PlanNode node, BindingValues values)
    {
        var resolved = values.Resolve(node.Inputs);
        var submission = step.State.Submission;
        if (submission is not null && submission.RecoveredOutputs.TryGetValue(node.Id, out var reused))
        {
            if (node.Map is { } recovered)
            {
                resolved[recovered.Input] = values.ResolveOne(recovered.Over);
            }

            step.Raise(new NodeReady(node.Id, resolved.ToJsonString()));
            step.Raise(new NodeSucceeded(node.Id, reused, false, submission.RecoverOf));
            values.Succeeded(node.Id, reused);
            if (node.Branch is { } reusedBranch)
            {
                BranchNodes.Reused(step, node, reusedBranch, reused);
            }
        }
        else if (node.Branch is { } branch)
        {
            BranchNodes.Ready(step, node, branch, values);
        }
        else if (node.Map is { } map)
        {
            MapNodes.Ready(step, node, map, resolved, values);
            if (step.State.Nodes[node.Id] is { Phase: TaskPhase.Succeeded, OutputsJson: { } outputs })
            {
                values.Succeeded(node.Id, outputs); // an empty list: done at once
            }
        }
        else
        {
            var inputs = resolved.ToJsonString();
            step.Raise(new NodeReady(node.Id, inputs));
            step.Start(node, inputs);
        }
    }

    /// <summary>The node's task ended. Under fail-fast (<paramref name="failFast"/> and the plan's policy) the first
    /// failure of a running execution makes it fail: the step then stops the other nodes.</summary>
    public static void Settle(WorkflowDraft step, NodeOutcome outcome, bool failFast)
    {
        if (outcome.Phase == TaskPhase.Succeeded)
        {
            step.Raise(new NodeSucceeded(outcome.NodeId, outcome.OutputsJson ?? "{}", outcome.CacheHit, null));
            return;
        }

        Fail(step, outcome.NodeId, outcome.Phase, outcome.Error ?? outcome.Phase.ToString(), failFast);
    }

    public static void Fail(WorkflowDraft step, string nodeId, TaskPhase phase, string error, bool failFast)
    {
        step.Raise(new NodeFailed(nodeId, phase, error));
        if (failFast && !step.State.Plan.FinishWhatCanFinish && step.State.Phase == WorkflowPhase.Running)
        {
            step.Raise(new ExecutionFailing($"node '{nodeId}' {phase.ToString().ToLowerInvariant()}: {error}"));
        }
    }
}
