using Orleans.Flyte.Domain.Gpus;

namespace Orleans.Flyte.Abstractions.Gpus;

/// <summary>
/// Where an inventory source (configuration at startup, Kubernetes node discovery continuously) reports what
/// it sees. The silo's implementation keeps one <c>GpuNodeGrain</c> per node in step; calls are idempotent, so
/// a source may report the same node any number of times (a watch resync does).
/// </summary>
public interface IGpuInventorySink
{
    /// <summary>The node exists with this inventory. <paramref name="schedulable"/> false cordons it
    /// (Kubernetes <c>spec.unschedulable</c>); true uncordons a node this source had cordoned.</summary>
    Task NodeSeenAsync(GpuNodeInventory inventory, bool schedulable, string source, CancellationToken cancellationToken = default);

    /// <summary>The node is gone: nothing new is placed on it; leases already held stay until their attempts end.</summary>
    Task NodeGoneAsync(string node, string source, CancellationToken cancellationToken = default);
}
