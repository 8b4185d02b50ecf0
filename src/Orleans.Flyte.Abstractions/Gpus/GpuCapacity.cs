namespace Orleans.Flyte.Abstractions.Gpus;

/// <summary>Everything the allocator knows, for <c>/api/v1/capacity</c>.</summary>
[GenerateSerializer, Immutable, Alias("flyte.GpuCapacity")]
public sealed record GpuCapacity(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] IReadOnlyList<CapacityResource> Resources,
    [property: Id(2)] IReadOnlyList<CapacityNode> Nodes,
    [property: Id(3)] IReadOnlyList<CapacityQueueEntry> Queue,
    [property: Id(4)] IReadOnlyList<CapacityQuota> Quotas);
