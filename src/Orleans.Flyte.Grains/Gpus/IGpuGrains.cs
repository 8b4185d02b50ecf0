using Orleans.Concurrency;
using Orleans.Flyte.Domain.Gpus;

namespace Orleans.Flyte.Grains.Gpus;

/// <summary>
/// The cluster-wide GPU allocator (one activation, key <see cref="Key"/>): the waiting queue, quotas and leases.
/// A lease is bound to one task attempt (request id = attempt id). Reads interleave with writes in progress and
/// show the last durable state.
/// </summary>
[Alias("flyte.IGpuAllocatorGrain")]
public interface IGpuAllocatorGrain : IGrainWithStringKey
{
    public const string Key = "cluster";

    /// <summary>Queues the request, or returns where it stands if already known (idempotent per attempt).</summary>
    [Alias("Request")]
    Task<GpuLeaseStatus> Request(GpuLeaseRequest request);

    /// <summary>Ends the lease or withdraws the waiting request; the freed units go to the queue at once. Idempotent.</summary>
    [Alias("Release")]
    Task Release(string requestId, string reason);

    [AlwaysInterleave, Alias("GetStatus")]
    Task<GpuLeaseStatus> GetStatus(string requestId);

    /// <summary>A node grain reports its inventory or condition.</summary>
    [Alias("NodeChanged")]
    Task NodeChanged(GpuNodeSnapshot node);

    /// <summary>Sets (or with null removes) the most units of <paramref name="resource"/> the project/domain may hold at once.</summary>
    [Alias("SetQuota")]
    Task SetQuota(string project, string domain, string resource, int? limit, string? reason);

    [AlwaysInterleave, Alias("GetCapacity")]
    Task<GpuCapacity> GetCapacity();

    /// <summary>For each shape: null when some node could serve it, else why none ever can.</summary>
    [AlwaysInterleave, Alias("Check")]
    Task<IReadOnlyList<string?>> Check(IReadOnlyList<GpuShape> shapes);

    /// <summary>Frees leases and withdraws requests whose attempts have ended or are gone; returns how many.</summary>
    [Alias("Reconcile")]
    Task<int> Reconcile();
}

/// <summary>One GPU node's inventory and condition. Key: the node name.</summary>
[Alias("flyte.IGpuNodeGrain")]
public interface IGpuNodeGrain : IGrainWithStringKey
{
    /// <summary>An inventory source saw the node (idempotent). <paramref name="schedulable"/> false cordons it on the
    /// source's behalf; true lifts only a cordon that source made.</summary>
    [Alias("Sync")]
    Task<GpuNodeView> Sync(GpuNodeInventory inventory, bool schedulable, string source);

    [Alias("Remove")]
    Task<GpuNodeView?> Remove(string source);

    /// <summary>Nothing new is placed on the node; with <paramref name="drain"/> it is marked for maintenance.</summary>
    [Alias("Cordon")]
    Task<GpuNodeView?> Cordon(string reason, bool drain);

    [Alias("Uncordon")]
    Task<GpuNodeView?> Uncordon(string reason);

    [Alias("Get")]
    Task<GpuNodeView?> Get();
}

[GenerateSerializer, Immutable, Alias("flyte.GpuNodeView")]
public sealed record GpuNodeView(
    [property: Id(0)] GpuNodeSnapshot Snapshot,
    [property: Id(1)] string? Source,
    [property: Id(2)] string? CordonedBy,
    [property: Id(3)] DateTimeOffset? ChangedAt);

[GenerateSerializer, Alias("flyte.GpuLeaseState")]
public enum GpuLeaseState
{
    Unknown,
    Waiting,
    Granted,

    /// <summary>Released or withdrawn: the request id cannot be used again.</summary>
    Ended,
}

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

/// <summary>Everything the allocator knows, for <c>/api/v1/capacity</c>.</summary>
[GenerateSerializer, Immutable, Alias("flyte.GpuCapacity")]
public sealed record GpuCapacity(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] IReadOnlyList<CapacityResource> Resources,
    [property: Id(2)] IReadOnlyList<CapacityNode> Nodes,
    [property: Id(3)] IReadOnlyList<CapacityQueueEntry> Queue,
    [property: Id(4)] IReadOnlyList<CapacityQuota> Quotas);

/// <param name="Resource">A device class of whole GPUs (<c>a100-40gb</c>) or a MIG profile (<c>mig-3g.20gb</c>).</param>
/// <param name="Unavailable">Free units on cordoned, draining or gone nodes (not counted as free).</param>
[GenerateSerializer, Immutable, Alias("flyte.CapacityResource")]
public sealed record CapacityResource(
    [property: Id(0)] string Resource,
    [property: Id(1)] int Total,
    [property: Id(2)] int Free,
    [property: Id(3)] int Held,
    [property: Id(4)] int Unavailable,
    [property: Id(5)] int Waiting);

[GenerateSerializer, Immutable, Alias("flyte.CapacityNode")]
public sealed record CapacityNode(
    [property: Id(0)] string Name,
    [property: Id(1)] string Condition,
    [property: Id(2)] string? Reason,
    [property: Id(3)] IReadOnlyList<CapacityDevice> Devices);

[GenerateSerializer, Immutable, Alias("flyte.CapacityDevice")]
public sealed record CapacityDevice(
    [property: Id(0)] string Id,
    [property: Id(1)] int Index,
    [property: Id(2)] string Model,
    [property: Id(3)] string DeviceClass,
    [property: Id(4)] int MemoryGb,
    [property: Id(5)] bool Mig,
    [property: Id(6)] LeaseHolder? HeldBy,
    [property: Id(7)] IReadOnlyList<CapacitySlice> Slices);

[GenerateSerializer, Immutable, Alias("flyte.CapacitySlice")]
public sealed record CapacitySlice(
    [property: Id(0)] string Id,
    [property: Id(1)] string Profile,
    [property: Id(2)] LeaseHolder? HeldBy);

/// <summary>Who holds a unit: the attempt of a task of an execution, and since when.</summary>
[GenerateSerializer, Immutable, Alias("flyte.LeaseHolder")]
public sealed record LeaseHolder(
    [property: Id(0)] string Project,
    [property: Id(1)] string Domain,
    [property: Id(2)] string Execution,
    [property: Id(3)] string Node,
    [property: Id(4)] int Attempt,
    [property: Id(5)] string AttemptId,
    [property: Id(6)] DateTimeOffset Since);

[GenerateSerializer, Immutable, Alias("flyte.CapacityQueueEntry")]
public sealed record CapacityQueueEntry(
    [property: Id(0)] int Position,
    [property: Id(1)] string AttemptId,
    [property: Id(2)] string Project,
    [property: Id(3)] string Domain,
    [property: Id(4)] string Execution,
    [property: Id(5)] string Node,
    [property: Id(6)] int Attempt,
    [property: Id(7)] string Request,
    [property: Id(8)] long Priority,
    [property: Id(9)] DateTimeOffset WaitingSince,
    [property: Id(10)] GpuWaitReason Reason,
    [property: Id(11)] string Resource);

[GenerateSerializer, Immutable, Alias("flyte.CapacityQuota")]
public sealed record CapacityQuota(
    [property: Id(0)] string Project,
    [property: Id(1)] string Domain,
    [property: Id(2)] string Resource,
    [property: Id(3)] int Limit,
    [property: Id(4)] int Used,
    [property: Id(5)] bool Default);
