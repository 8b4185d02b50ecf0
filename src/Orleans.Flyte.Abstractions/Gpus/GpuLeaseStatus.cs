using Orleans.Flyte.Domain.Gpus;

namespace Orleans.Flyte.Abstractions.Gpus;

[GenerateSerializer, Immutable, Alias("flyte.GpuLeaseStatus")]
public sealed record GpuLeaseStatus(
    [property: Id(0)] string RequestId,
    [property: Id(1)] GpuLeaseState State,
    [property: Id(2)] string? Node = null,
    [property: Id(3)] IReadOnlyList<string>? UnitIds = null,
    [property: Id(4)] string? ResourceName = null,
    [property: Id(5)] DateTimeOffset? Since = null,
    [property: Id(6)] GpuWaitReason? Waiting = null,
    [property: Id(7)] string? Ended = null);
