using Orleans.Flyte.Domain.Executions;

namespace Orleans.Flyte.Abstractions.Executions;

/// <summary>
/// The views of a workflow execution as pure functions of its fold. The grain returns these, and an audit replay
/// (issue 13) that folds the stored events "as of" an instant with the same <see cref="WorkflowExecutionState"/>
/// gets the same view from the same code: there is no second implementation.
/// </summary>
public static class ExecutionViews
{
    /// <summary>The execution as the API shows it. The state must hold an acceptance (<see cref="WorkflowExecutionState.Exists"/>).</summary>
    public static ExecutionView Of(WorkflowExecutionState state)
    {
        var s = Accepted(state);
        return new ExecutionView(
            s.ExecutionId, s.Project, s.Domain, $"{s.Plan.WorkflowName}@{s.Plan.WorkflowVersion}", state.Phase, s.InputsJson, state.OutputsJson,
            state.Error, s.Meta.At, s.Meta.Principal, state.StartedAt, state.FinishedAt,
            [.. s.Plan.Nodes.Select(p =>
            {
                var n = state.Nodes[p.Id];
                return new NodeView(p.Id, p.Task, n.Phase, n.InputsJson, n.OutputsJson, n.Error, n.CacheHit, n.RecoveredFrom, n.ReadyAt, n.FinishedAt,
                    n.Map is { } map ? Elements(p.Id, map) : null,
                    p.Child is not null && n.Phase is not (TaskPhase.NotReady or TaskPhase.Skipped) && n.RecoveredFrom is null
                        ? ExecutionIds.Child(s.ExecutionId, p.Id)
                        : null);
            })],
            s.RelaunchOf, s.RecoverOf, s.LaunchPlan, s.ScheduledAt, s.Parent);
    }

    /// <summary>What was submitted: the basis of relaunch and recover.</summary>
    public static ExecutionSubmission SubmissionOf(WorkflowExecutionState state)
    {
        var s = Accepted(state);
        return new ExecutionSubmission(s.ExecutionId, s.Project, s.Domain, s.Plan, s.InputsJson, s.IdempotencyKey, s.OverwriteCache, s.Priority,
            s.RelaunchOf, s.RecoverOf, s.RecoveredOutputs, s.LaunchPlan, s.ScheduledAt, s.Meta.At, s.Meta.Principal);
    }

    private static List<MapElementView> Elements(string nodeId, MapProgress map) =>
        [.. Enumerable.Range(0, map.Count).Select(i =>
        {
            var e = map.Element(i);
            return new MapElementView(MapElements.TaskNodeId(nodeId, i), i, e.Phase, e.OutputsJson, e.Error, e.CacheHit);
        })];

    private static ExecutionAccepted Accepted(WorkflowExecutionState state) =>
        state.Submission ?? throw new InvalidOperationException("The execution has not been accepted.");
}
