using Orleans.Flyte.Abstractions.Executions;

namespace Orleans.Flyte.Abstractions.Audit;

/// <summary>An execution as it stood at an instant: its view and, per node (in the plan's order), its task view, or null
/// where the node's task had no event yet; and the task views of map elements that had events, by element node id (<c>node[i]</c>).</summary>
public sealed record ExecutionAsOf(ExecutionView Execution, IReadOnlyList<TaskExecutionView?> Tasks, IReadOnlyDictionary<string, TaskExecutionView> Elements);
