using Orleans.Flyte.Domain.EventSourcing;

namespace Orleans.Flyte.Domain.Gpus;

/// <summary>What one task attempt asks the allocator for. The request id is the attempt id: a lease is bound to
/// exactly one attempt, and asking again for the same attempt is idempotent.</summary>
/// <param name="Profile">A MIG profile such as <c>mig-3g.20gb</c>, or null for whole GPUs.</param>
/// <param name="DeviceClass">For whole GPUs: the class asked for (<c>a100-40gb</c>), or null for any GPU.</param>
/// <param name="Priority">The execution's own priority (-100..100, default 0); the domain's rank is added by the allocator.</param>
[GenerateSerializer, Immutable, Alias("flyte.GpuLeaseRequest")]
public sealed record GpuLeaseRequest(
    [property: Id(0)] string RequestId,
    [property: Id(1)] string Project,
    [property: Id(2)] string Domain,
    [property: Id(3)] string ExecutionId,
    [property: Id(4)] string NodeId,
    [property: Id(5)] int Attempt,
    [property: Id(6)] string? Profile,
    [property: Id(7)] string? DeviceClass,
    [property: Id(8)] int Count,
    [property: Id(9)] int Priority = 0)
{
    public GpuShape Shape => new(Profile, DeviceClass, Count);

    public string Scope => $"{Project}/{Domain}";
}

/// <summary>The kind and number of GPU units a task needs, without who needs it.</summary>
[GenerateSerializer, Immutable, Alias("flyte.GpuShape")]
public sealed record GpuShape(
    [property: Id(0)] string? Profile,
    [property: Id(1)] string? DeviceClass,
    [property: Id(2)] int Count)
{
    /// <summary>The quota resource: <c>gpu</c> for whole GPUs, the profile (<c>mig-3g.20gb</c>) for slices.</summary>
    public string QuotaResource => Profile ?? GpuResources.WholeGpu;

    /// <summary>The Kubernetes extended resource.</summary>
    public string ResourceName => Profile is null ? "nvidia.com/gpu" : $"nvidia.com/{Profile}";

    /// <summary>What one unit is, in words: <c>mig-3g.20gb</c>, <c>a100-40gb</c> or <c>GPU</c>.</summary>
    public string UnitName => Profile ?? DeviceClass ?? "GPU";

    public override string ToString() => $"{Count} × {UnitName}";
}

public static class GpuResources
{
    /// <summary>The quota resource of whole GPUs.</summary>
    public const string WholeGpu = "gpu";
}

/// <summary>How the allocator last saw a node (reported by its <c>GpuNodeGrain</c>).</summary>
[GenerateSerializer, Immutable, Alias("flyte.GpuNodeSnapshot")]
public sealed record GpuNodeSnapshot(
    [property: Id(0)] GpuNodeInventory Inventory,
    [property: Id(1)] GpuNodeCondition Condition,
    [property: Id(2)] string? Reason)
{
    public string Node => Inventory.Node;

    public bool Schedulable => Condition == GpuNodeCondition.Schedulable;
}

[GenerateSerializer, Alias("flyte.GpuNodeCondition")]
public enum GpuNodeCondition
{
    Schedulable,

    /// <summary>Nothing new is placed on it; leases held run to their end.</summary>
    Cordoned,

    /// <summary>Cordoned until its leases have ended, for maintenance.</summary>
    Draining,

    /// <summary>The node left the cluster (or the inventory).</summary>
    Gone,
}

[GenerateSerializer, Immutable, Alias("flyte.GpuAllocatorEvent")]
public abstract record GpuAllocatorEvent : DomainEvent;

[GenerateSerializer, Immutable, Alias("flyte.GpuRequestQueued")]
public sealed record GpuRequestQueued([property: Id(0)] GpuLeaseRequest Request) : GpuAllocatorEvent;

/// <param name="UnitIds">GPU UUIDs (whole GPUs) or MIG instance ids, all on <paramref name="Node"/>.</param>
[GenerateSerializer, Immutable, Alias("flyte.GpuLeaseGranted")]
public sealed record GpuLeaseGranted(
    [property: Id(0)] string RequestId,
    [property: Id(1)] string Node,
    [property: Id(2)] IReadOnlyList<string> UnitIds,
    [property: Id(3)] string ResourceName) : GpuAllocatorEvent;

[GenerateSerializer, Immutable, Alias("flyte.GpuLeaseReleased")]
public sealed record GpuLeaseReleased([property: Id(0)] string RequestId, [property: Id(1)] string Reason) : GpuAllocatorEvent;

/// <summary>A request withdrawn before it was granted (its attempt was aborted or is gone).</summary>
[GenerateSerializer, Immutable, Alias("flyte.GpuRequestCancelled")]
public sealed record GpuRequestCancelled([property: Id(0)] string RequestId, [property: Id(1)] string Reason) : GpuAllocatorEvent;

/// <param name="Limit">Maximum units held at once; null removes the quota.</param>
[GenerateSerializer, Immutable, Alias("flyte.GpuQuotaChanged")]
public sealed record GpuQuotaChanged(
    [property: Id(0)] string Project,
    [property: Id(1)] string Domain,
    [property: Id(2)] string Resource,
    [property: Id(3)] int? Limit) : GpuAllocatorEvent;

/// <summary>A node's inventory or condition as its node grain reported it; placement uses the latest.</summary>
[GenerateSerializer, Immutable, Alias("flyte.GpuNodeObserved")]
public sealed record GpuNodeObserved([property: Id(0)] GpuNodeSnapshot Node) : GpuAllocatorEvent;
