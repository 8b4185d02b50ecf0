namespace Orleans.Flyte.Abstractions.Runners;

/// <summary>The GPU devices or MIG slices granted to one attempt.</summary>
/// <param name="Node">The node the grant is on (the pod is pinned there).</param>
/// <param name="DeviceIds">GPU UUIDs or MIG instance UUIDs, as the process sees them in CUDA_VISIBLE_DEVICES.</param>
/// <param name="ResourceName">e.g. <c>nvidia.com/gpu</c> or <c>nvidia.com/mig-3g.20gb</c>.</param>
[GenerateSerializer, Immutable, Alias("flyte.GpuGrant")]
public sealed record GpuGrant(
    [property: Id(0)] string? Node,
    [property: Id(1)] IReadOnlyList<string> DeviceIds,
    [property: Id(2)] string? ResourceName)
{
    public static readonly GpuGrant None = new(null, [], null);

    public bool IsEmpty => DeviceIds.Count == 0;
}
