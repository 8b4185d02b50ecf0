using Orleans.Flyte.Domain.Executions;

namespace Orleans.Flyte.Abstractions.Executions;

[GenerateSerializer, Immutable, Alias("flyte.NodeView")]
public sealed record NodeView(
    [property: Id(0)] string NodeId,
    [property: Id(1)] string Task,
    [property: Id(2)] TaskPhase Phase,
    [property: Id(3)] string? InputsJson,
    [property: Id(4)] string? OutputsJson,
    [property: Id(5)] string? Error,
    [property: Id(6)] bool CacheHit,
    [property: Id(7)] string? RecoveredFrom,
    [property: Id(8)] DateTimeOffset? ReadyAt,
    [property: Id(9)] DateTimeOffset? FinishedAt,
    [property: Id(10)] IReadOnlyList<MapElementView>? Elements = null,
    [property: Id(11)] string? ChildExecutionId = null);

/// <summary>One element of a map node; its task grain is <see cref="NodeId"/> (<c>node[i]</c>).</summary>
[GenerateSerializer, Immutable, Alias("flyte.MapElementView")]
public sealed record MapElementView(
    [property: Id(0)] string NodeId,
    [property: Id(1)] int Index,
    [property: Id(2)] TaskPhase Phase,
    [property: Id(3)] string? OutputsJson,
    [property: Id(4)] string? Error,
    [property: Id(5)] bool CacheHit);
