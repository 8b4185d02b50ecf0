using Orleans.Flyte.Domain.Gpus;

namespace Orleans.Flyte.Abstractions.Gpus;

[GenerateSerializer, Immutable, Alias("flyte.GpuNodeView")]
public sealed record GpuNodeView(
    [property: Id(0)] GpuNodeSnapshot Snapshot,
    [property: Id(1)] string? Source,
    [property: Id(2)] string? CordonedBy,
    [property: Id(3)] DateTimeOffset? ChangedAt);
