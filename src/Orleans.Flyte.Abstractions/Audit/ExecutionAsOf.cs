using Orleans.Flyte.Abstractions.Executions;

namespace Orleans.Flyte.Abstractions.Audit;

/// <summary>An execution as it stood at an instant: its view and, per node (in the plan's order), its task view, or null
/// where the node's task had no event yet.</summary>
public sealed record ExecutionAsOf(ExecutionView Execution, IReadOnlyList<TaskExecutionView?> Tasks);
