using Orleans.Flyte.Abstractions.Runners;
using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Domain.Gpus;

namespace Orleans.Flyte.Abstractions.Executions;

/// <summary>
/// The view of one node's task execution as a pure function of its fold, like <see cref="ExecutionViews"/>: the task grain
/// answers with it, and an audit replay "as of" an instant folds the stored events with the same
/// <see cref="TaskExecutionState"/> and gets its answer from the same code.
/// </summary>
public static class TaskExecutionViews
{
    /// <param name="waiting">Why the task waits for GPUs, as the allocator last said (live only: it is the allocator's, not the task's, fact).</param>
    public static TaskExecutionView Of(string executionId, string nodeId, TaskExecutionState state, GpuWaitReason? waiting = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        return new TaskExecutionView(
            executionId,
            nodeId,
            state.Phase,
            state.OutputsJson,
            state.Error,
            state.CacheHit is not null,
            [.. state.Attempts.Select(a => new AttemptView(
                a.Attempt, a.AttemptId, a.Outcome?.ToString() ?? (a.StartedAt is null ? "Initializing" : "Running"),
                a.LaunchedAt, a.StartedAt, a.FinishedAt, a.Error, a.ExitCode,
                state.Grants.TryGetValue(a.Attempt, out var g) ? new GpuGrant(g.Node, g.UnitIds, g.ResourceName) : null))],
            waiting,
            state.WaitingSince);
    }
}
