using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Domain.Gpus;

namespace Orleans.Flyte.Abstractions.Executions;

[GenerateSerializer, Immutable, Alias("flyte.TaskExecutionView")]
public sealed record TaskExecutionView(
    [property: Id(0)] string ExecutionId,
    [property: Id(1)] string NodeId,
    [property: Id(2)] TaskPhase Phase,
    [property: Id(3)] string? OutputsJson,
    [property: Id(4)] string? Error,
    [property: Id(5)] bool CacheHit,
    [property: Id(6)] IReadOnlyList<AttemptView> Attempts,
    [property: Id(7)] GpuWaitReason? Waiting = null,
    [property: Id(8)] DateTimeOffset? WaitingSince = null);
