using Orleans.Concurrency;
using Orleans.Flyte.Domain.Gpus;

namespace Orleans.Flyte.Abstractions.Gpus;

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
