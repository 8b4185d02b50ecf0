using Orleans.Flyte.Domain.Executions;

namespace Orleans.Flyte.Abstractions.Executions;

[GenerateSerializer, Immutable, Alias("flyte.ExecutionView")]
public sealed record ExecutionView(
    [property: Id(0)] string ExecutionId,
    [property: Id(1)] string Project,
    [property: Id(2)] string Domain,
    [property: Id(3)] string Workflow,
    [property: Id(4)] WorkflowPhase Phase,
    [property: Id(5)] string InputsJson,
    [property: Id(6)] string? OutputsJson,
    [property: Id(7)] string? Error,
    [property: Id(8)] DateTimeOffset CreatedAt,
    [property: Id(9)] string CreatedBy,
    [property: Id(10)] DateTimeOffset? StartedAt,
    [property: Id(11)] DateTimeOffset? FinishedAt,
    [property: Id(12)] IReadOnlyList<NodeView> Nodes,
    [property: Id(13)] string? RelaunchOf,
    [property: Id(14)] string? RecoverOf,
    [property: Id(15)] string? LaunchPlan,
    [property: Id(16)] DateTimeOffset? ScheduledAt,
    [property: Id(17)] ExecutionParent? Parent = null);
