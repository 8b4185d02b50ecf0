namespace Orleans.Flyte.Domain.Gpus;

/// <summary>Why a request is still waiting, in words with figures.</summary>
/// <param name="Code"><c>quota</c>, <c>capacity</c>, <c>fragmented</c>, <c>cordoned</c>, <c>no-such-resource</c>, <c>reserved</c> or <c>placing</c>.</param>
/// <param name="Position">1-based position among the requests waiting for the same kind of unit.</param>
[GenerateSerializer, Immutable, Alias("flyte.GpuWaitReason")]
public sealed record GpuWaitReason(
    [property: Id(0)] string Code,
    [property: Id(1)] string Message,
    [property: Id(2)] int Position);
