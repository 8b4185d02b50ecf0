using Orleans.Flyte.Domain.Executions;

namespace Orleans.Flyte.Abstractions.Executions;

[GenerateSerializer, Immutable, Alias("flyte.NodeCompletion")]
public sealed record NodeCompletion(
    [property: Id(0)] string NodeId,
    [property: Id(1)] TaskPhase Phase,
    [property: Id(2)] string? OutputsJson,
    [property: Id(3)] string? Error,
    [property: Id(4)] bool CacheHit);
